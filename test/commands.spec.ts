import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { POLICY_PACK, pulumiArgs, target } from "../scripts/pulumi";
import { kindClusterOf } from "../scripts/lib/e2e";
import { EKS_RAW, settingsFor } from "./helpers";

describe("npm run up|preview|destroy", () => {
    it("runs up and preview with the policy pack, unless one is given; destroy without", () => {
        assert.deepEqual(pulumiArgs("up", ["--stack", "dev"]), ["up", "--stack", "dev", "--policy-pack", POLICY_PACK]);
        assert.deepEqual(pulumiArgs("preview", ["--stack", "dev", "--diff"]), ["preview", "--stack", "dev", "--diff", "--policy-pack", POLICY_PACK]);
        assert.deepEqual(pulumiArgs("up", ["--stack", "dev", "--policy-pack", "other"]), ["up", "--stack", "dev", "--policy-pack", "other"]);
        assert.deepEqual(pulumiArgs("destroy", ["--stack", "dev"]), ["destroy", "--stack", "dev"]);
        assert.ok(fs.existsSync(path.join(POLICY_PACK, "PulumiPolicy.yaml")));
    });

    it("names the kube context it deploys to, and refuses one the kubeconfig does not have", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-ctx-"));
        const file = path.join(dir, "config");
        fs.writeFileSync(file, "apiVersion: v1\nkind: Config\ncontexts:\n  - name: kind-istio-workshop\n  - name: prod-admin\n");
        const local = (context: string) => settingsFor({ cluster: { mode: "existing", context, kubeconfig: file } }, "local");
        assert.deepEqual(target(local("kind-istio-workshop")), { line: `Target: kube context kind-istio-workshop (kubeconfig ${file})` });
        assert.deepEqual(target(local("kind-other")), {
            refusal: `cluster.context "kind-other" is not a context of ${file} (contexts there: kind-istio-workshop, prod-admin): create the cluster or fix Pulumi.local.yaml; nothing was run`,
        });
        // Without a kubeconfig of its own, the stack uses $KUBECONFIG's files, as kubectl does.
        const env = { KUBECONFIG: [path.join(dir, "missing"), file].join(path.delimiter) };
        assert.ok("line" in target(settingsFor({ cluster: { mode: "existing", context: "prod-admin" } }, "local"), env));
        assert.deepEqual(target(settingsFor(EKS_RAW, "dev")), { line: "Target: EKS cluster istio-workshop-dev in eu-west-1 (AWS credentials from the environment)" });
    });

    it("the end-to-end run creates the kind cluster the local stack's context names", () => {
        assert.equal(kindClusterOf("kind-istio-workshop"), "istio-workshop");
        assert.equal(kindClusterOf("prod-admin"), undefined);
        assert.equal(kindClusterOf(undefined), undefined);
    });
});
