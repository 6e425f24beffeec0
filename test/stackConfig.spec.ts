import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SECRET_PLACEHOLDER, StackConfigError, listStacks, loadStackConfig } from "../scripts/lib/stackConfig";

function projectDir(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-config-"));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
}

describe("stack config loader", () => {
    it("merges project defaults and stack values, qualifying bare keys and JSON-encoding non-strings", () => {
        const dir = projectDir({
            "Pulumi.yaml": [
                "name: istio-workshop",
                "config:",
                "  attendees: 2",
                "  istio-workshop:addons:",
                "    default: { kiali: false }",
                "  aws:region: eu-central-1",
            ].join("\n"),
            "Pulumi.dev.yaml": [
                "config:",
                "  istio-workshop:attendees: [ana, bo]",
                "  istio-workshop:cluster:",
                "    mode: existing",
                "  istio-workshop:token:",
                "    secure: AAABAC==",
            ].join("\n"),
        });
        const sc = loadStackConfig(dir, "dev");
        assert.deepEqual(sc, {
            project: "istio-workshop",
            stack: "dev",
            file: "Pulumi.dev.yaml",
            config: {
                "istio-workshop:attendees": '["ana","bo"]',
                "istio-workshop:addons": '{"kiali":false}',
                "aws:region": "eu-central-1",
                "istio-workshop:cluster": '{"mode":"existing"}',
                "istio-workshop:token": SECRET_PLACEHOLDER,
            },
            secretKeys: ["istio-workshop:token"],
        });
        assert.deepEqual(listStacks(dir), ["dev"]);
    });

    it("refuses malformed YAML with the file named, and a missing stack with the stacks listed", () => {
        const dir = projectDir({ "Pulumi.yaml": "name: istio-workshop\n", "Pulumi.dev.yaml": "config:\n  a: [1, 2\n", "Pulumi.ok.yaml": "config: {}\n" });
        assert.throws(() => loadStackConfig(dir, "dev"), (err: Error) => err instanceof StackConfigError && /^Pulumi\.dev\.yaml is not valid YAML:\n - /.test(err.message));
        assert.throws(
            () => loadStackConfig(dir, "prod"),
            (err: Error) => err instanceof StackConfigError && err.message === "No stack file Pulumi.prod.yaml; stacks here: dev, ok",
        );
    });

    it("refuses an alias to an anchor that does not exist", () => {
        const dir = projectDir({ "Pulumi.yaml": "name: istio-workshop\n", "Pulumi.a.yaml": "config:\n  istio-workshop:cluster: *missing\n" });
        assert.throws(() => loadStackConfig(dir, "a"), /^StackConfigError: Pulumi\.a\.yaml is not valid YAML:\n - /);
    });

    it("refuses duplicate keys and a config section that is not a mapping", () => {
        const dir = projectDir({
            "Pulumi.yaml": "name: istio-workshop\n",
            "Pulumi.dup.yaml": "config:\n  istio-workshop:attendees: 1\n  istio-workshop:attendees: 2\n",
            "Pulumi.list.yaml": "config:\n  - a\n",
        });
        assert.throws(() => loadStackConfig(dir, "dup"), /Pulumi\.dup\.yaml is not valid YAML:\n - Map keys must be unique/);
        assert.throws(() => loadStackConfig(dir, "list"), /^StackConfigError: Pulumi\.list\.yaml: config must be a mapping of keys to values$/);
    });
});
