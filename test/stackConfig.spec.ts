import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SECRET_PLACEHOLDER, StackConfigError, listStacks, loadStackConfig } from "../src/settings/stackFile";

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
                "  istio-workshop:attendees: [ana, ben]",
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
                "istio-workshop:attendees": '["ana","ben"]',
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
            (err: Error) => err instanceof StackConfigError && err.message.startsWith("No stack file Pulumi.prod.yaml: the stacks here are dev, ok ("),
        );
    });

    it("bounds YAML: an alias-expansion bomb, a value that contains itself, an oversized file; each refused at once, the file named", () => {
        const levels = Array.from({ length: 7 }, (_, i) => `a${i}: &a${i} [${Array.from({ length: 9 }, () => (i === 0 ? '"x"' : `*a${i - 1}`)).join(", ")}]`);
        const dir = projectDir({
            "Pulumi.yaml": "name: istio-workshop\n",
            "Pulumi.bomb.yaml": `${levels.join("\n")}\nconfig:\n  istio-workshop:attendees: *a6\n`,
            "Pulumi.cycle.yaml": "config:\n  istio-workshop:apps: &x\n    bookinfo: *x\n",
            "Pulumi.big.yaml": `config:\n  istio-workshop:attendees: [${Array.from({ length: 30000 }, (_, i) => `"a${i}"`).join(", ")}]\n`,
            "Pulumi.wide.yaml": `base: &b [${Array.from({ length: 600 }, () => '"0123456789012345678901234567890123456789"').join(", ")}]\nconfig:\n  istio-workshop:x: [${Array.from({ length: 45 }, () => "*b").join(", ")}]\n`,
        });
        const started = Date.now();
        assert.throws(() => loadStackConfig(dir, "bomb"), /^StackConfigError: Pulumi\.bomb\.yaml is not valid YAML:\n - Excessive alias count/);
        assert.throws(() => loadStackConfig(dir, "cycle"), /^StackConfigError: Pulumi\.cycle\.yaml: config\.istio-workshop:apps\.bookinfo contains itself \(a YAML alias inside its own anchor\)$/);
        assert.throws(() => loadStackConfig(dir, "big"), /^StackConfigError: Pulumi\.big\.yaml: \d+ bytes, more than a stack file's 262144$/);
        assert.throws(() => loadStackConfig(dir, "wide"), /^StackConfigError: Pulumi\.wide\.yaml: its aliases expand to \d+ bytes, more than a stack file's 1048576$/);
        assert.ok(Date.now() - started < 10_000, "refused without expanding the bomb");
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
