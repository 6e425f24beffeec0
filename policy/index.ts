/**
 * The policy pack: `pulumi preview --policy-pack policy` (or `npm run preview -- --stack dev
 * --policy-pack policy`). Every rule of `rules.ts` is mandatory; override one for a lesson with
 * `--policy-pack-config policy/lesson-permissive-mtls.json` (see docs/security.md).
 */
import { PolicyPack } from "@pulumi/policy";
import { RULES, withCarriedObjects } from "../src/judgement/checks/policyRules";

new PolicyPack("istio-workshop", {
    enforcementLevel: "mandatory",
    policies: RULES.map((rule) => ({
        name: rule.name,
        description: rule.description,
        validateResource: (args, reportViolation) => {
            for (const subject of withCarriedObjects({ type: args.type, name: args.name, props: args.props })) {
                for (const message of rule.check(subject)) reportViolation(subject.name === args.name ? message : `${subject.name}: ${message}`);
            }
        },
    })),
});
