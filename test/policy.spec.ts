import { strict as assert } from "assert";
import { RULES, evaluate, withCarriedObjects, type Subject } from "../src/judgement/checks/policyRules";
import { objectsJson } from "../src/lessons/delivery";
import { policyLevels, policyProblems } from "../src/judgement/checks/validatePlan";
import { EKS_RAW, EXPOSED_RAW, planIndex } from "./helpers";

const rule = (name: string) => RULES.find((r) => r.name === name)!;
const s = (type: string, props: Record<string, any>, name = "r"): Subject => ({ type, name, props });

describe("policy rules: one violation and one pass each, with exact messages", () => {
    it("no-public-mesh-ports", () => {
        const r = rule("no-public-mesh-ports");
        assert.deepEqual(r.check(s("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { fromPort: 15017, toPort: 15017, cidrIpv4: "0.0.0.0/0" })), [
            "port 15017 open to 0.0.0.0/0: Istio and addon ports must only be reachable from inside the cluster",
        ]);
        assert.deepEqual(r.check(s("aws:ec2/securityGroupRule:SecurityGroupRule", { type: "ingress", fromPort: 9000, toPort: 9100, cidrBlocks: ["10.0.0.0/8", "0.0.0.0/0"] })), [
            "ports 9000-9100 open to 0.0.0.0/0: Istio and addon ports must only be reachable from inside the cluster",
        ]);
        assert.deepEqual(r.check(s("kubernetes:core/v1:Service", { spec: { type: "LoadBalancer", ports: [{ port: 80 }, { port: 15021 }] } })), [
            "port 15021 open to 0.0.0.0/0: Istio and addon ports must only be reachable from inside the cluster",
        ]);
        assert.deepEqual(r.check(s("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { fromPort: 15017, toPort: 15017, referencedSecurityGroupId: "sg-1" })), []);
        assert.deepEqual(r.check(s("kubernetes:core/v1:Service", { spec: { type: "LoadBalancer", ports: [{ port: 80 }, { port: 443 }], loadBalancerSourceRanges: ["0.0.0.0/0"] } })), []);
    });

    it("mtls-strict", () => {
        const r = rule("mtls-strict");
        const pa = (mode: string) => s("kubernetes:security.istio.io/v1:PeerAuthentication", { metadata: { namespace: "istio-system" }, spec: { mtls: { mode } } });
        assert.deepEqual(r.check(pa("PERMISSIVE")), ['mesh-wide mutual TLS is "PERMISSIVE", not "STRICT": traffic between workloads may be plaintext']);
        assert.deepEqual(r.check(pa("STRICT")), []);
    });

    it("no-anonymous-ui", () => {
        const r = rule("no-anonymous-ui");
        assert.deepEqual(r.check(s("kubernetes:helm.sh/v3:Release", { chart: "kiali-server", values: { auth: { strategy: "anonymous" } } })), [
            'Kiali\'s auth.strategy is "anonymous": use "token" (or "openid")',
        ]);
        assert.deepEqual(r.check(s("kubernetes:helm.sh/v3:Release", { chart: "grafana", values: {} })), [
            "Grafana's anonymous access is not disabled (grafana.ini auth.anonymous.enabled: false)",
        ]);
        assert.deepEqual(
            r.check(s("kubernetes:networking.istio.io/v1:VirtualService", { spec: { gateways: ["istio-ingress/workshop-gateway"], http: [{ route: [{ destination: { host: "prometheus.istio-system.svc.cluster.local" } }] }] } })),
            ["routes Prometheus through a gateway: Prometheus has no login and is never exposed"],
        );
        assert.deepEqual(r.check(s("kubernetes:helm.sh/v3:Release", { chart: "kiali-server", values: { auth: { strategy: "token" } } })), []);
        assert.deepEqual(r.check(s("kubernetes:helm.sh/v3:Release", { chart: "grafana", values: { "grafana.ini": { "auth.anonymous": { enabled: false } } } })), []);
    });

    it("secrets-stay-secret", () => {
        const r = rule("secrets-stay-secret");
        assert.deepEqual(r.check(s("kubernetes:core/v1:ConfigMap", { data: { "admin-password": "x", "nginx.conf": "y" } })), [
            'ConfigMap key "admin-password" looks like a credential: put it in a Secret',
        ]);
        assert.deepEqual(r.check(s("kubernetes:core/v1:ConfigMap", { data: { "verify.sh": "..." } })), []);
    });

    it("attendees-confined", () => {
        const r = rule("attendees-confined");
        const subject = { kind: "ServiceAccount", name: "attendee", namespace: "ana" };
        assert.deepEqual(r.check(s("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", { roleRef: { kind: "ClusterRole", name: "view" }, subjects: [subject] })), [
            "binds an attendee ServiceAccount cluster-wide (role view)",
        ]);
        assert.deepEqual(
            r.check(s("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", { metadata: { namespace: "ben" }, roleRef: { kind: "ClusterRole", name: "admin" }, subjects: [subject] })),
            ["binds an attendee to ClusterRole admin: use the namespace's own Role", "grants a ServiceAccount of namespace ana rights in ben", "grants the built-in role admin"],
        );
        assert.deepEqual(r.check(s("kubernetes:rbac.authorization.k8s.io/v1:Role", { metadata: { name: "attendee" }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }] })), [
            "lets an attendee read Secrets (and mount any of the namespace's)",
        ]);
        assert.deepEqual(r.check(s("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", { metadata: { namespace: "ana" }, roleRef: { kind: "Role", name: "attendee" }, subjects: [subject] })), []);
    });

    it("imdsv2-required", () => {
        const r = rule("imdsv2-required");
        assert.deepEqual(r.check(s("aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions: { httpTokens: "optional" } })), [
            'metadataOptions.httpTokens is "optional", not "required": nodes would answer IMDSv1',
        ]);
        assert.deepEqual(r.check(s("aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions: { httpTokens: "required" } })), []);
    });

    it("evaluate names the policy and the resource", () => {
        assert.deepEqual(evaluate([s("aws:ec2/launchTemplate:LaunchTemplate", {}, "nodes-lt")]), [
            { policy: "imdsv2-required", resource: "nodes-lt", message: 'metadataOptions.httpTokens is "unset", not "required": nodes would answer IMDSv1' },
        ]);
    });
});

describe("policy rules over what a lessons release carries", () => {
    it("judge each object in the release's values, as the pack sees them at up", () => {
        const release = s(
            "kubernetes:helm.sh/v3:Release",
            {
                chart: "./charts/lessons",
                namespace: "ana",
                values: {
                    objectsJson: objectsJson([
                        {
                            apiVersion: "rbac.authorization.k8s.io/v1",
                            kind: "RoleBinding",
                            metadata: { name: "attendee", namespace: "ana" },
                            roleRef: { kind: "ClusterRole", name: "cluster-admin" },
                            subjects: [{ kind: "ServiceAccount", name: "attendee", namespace: "ana" }],
                        },
                    ]),
                },
            },
            "classroom-ana-apps-lessons",
        );
        assert.deepEqual(evaluate([release]), [
            { policy: "attendees-confined", resource: "classroom-ana-apps-lessons:ana/attendee", message: "binds an attendee to ClusterRole cluster-admin: use the namespace's own Role" },
            { policy: "attendees-confined", resource: "classroom-ana-apps-lessons:ana/attendee", message: "grants the built-in role cluster-admin" },
        ]);
        assert.deepEqual(withCarriedObjects(s("kubernetes:helm.sh/v3:Release", { chart: "grafana", values: { objectsJson: "[{}]" } })).length, 1, "only the lessons chart carries objects");
    });
});

describe("policy rules over the shipped configurations", () => {
    it("pass for an EKS stack with attendees and exposed addons, and for an existing cluster", async () => {
        assert.deepEqual(policyProblems(await planIndex({ ...EXPOSED_RAW, attendees: ["ana", "ben"] })), []);
        assert.deepEqual(policyProblems(await planIndex({ cluster: { mode: "existing", context: "kind-istio-workshop" } })), []);
    });

    it("flag a lesson that turns mutual TLS off", async () => {
        assert.deepEqual(policyProblems(await planIndex({ ...EKS_RAW, istio: { mtls: "PERMISSIVE" } })), [
            'policy mtls-strict: mesh-peer-authentication: mesh-wide mutual TLS is "PERMISSIVE", not "STRICT": traffic between workloads may be plaintext',
        ]);
    });
});

describe("policy levels for a lesson", () => {
    it("reads --policy-pack-config files and refuses unknown levels", () => {
        assert.deepEqual(policyLevels({ "mtls-strict": "advisory", "imdsv2-required": { enforcementLevel: "disabled" } }), {
            "mtls-strict": "advisory",
            "imdsv2-required": "disabled",
        });
        assert.throws(() => policyLevels({ "mtls-strict": "off" }), /mtls-strict must be "mandatory", "advisory" or "disabled", got "off"/);
    });

    it("the shipped lesson config makes mtls-strict advisory: reported, not failing", async () => {
        const plan = await planIndex({ ...EKS_RAW, istio: { mtls: "PERMISSIVE" } });
        const levels = { "mtls-strict": "advisory" as const };
        assert.deepEqual(policyProblems(plan, levels), []);
        assert.equal(policyProblems(plan, levels, "advisory").length, 1);
    });
});
