/**
 * The configuration reference and the stack files' JSON Schema are generated
 * from the settings' zod schema: the committed files equal the generator's
 * output, every key is described, and the schema judges stack files as the
 * settings do.
 */
import { strict as assert } from "assert";
import Ajv2020 from "ajv/dist/2020";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { GENERATED } from "../src/settings/reference";
import { CONFIG_DOCS, docKey, schemaKeys, settingsJsonSchema, stackFileSchema } from "../src/settings/reference";
import { listStacks } from "../src/settings/stackFile";
import { SettingsError } from "../src/settings/parse";
import { settingsFor } from "./helpers";

const ROOT = path.resolve(__dirname, "..");
const validator = () => new Ajv2020({ strict: false, validateFormats: false, allErrors: true }).compile(stackFileSchema());

describe("configuration reference and stack file schema", () => {
    it("docs/configuration.md and schema/stack.schema.json are what `npm run config-reference` writes", () => {
        for (const [file, make] of Object.entries(GENERATED)) assert.equal(fs.readFileSync(path.join(ROOT, file), "utf8"), make(), `${file} is out of date: run npm run config-reference`);
    });

    it("describes every key of the settings, and no key that is gone", () => {
        const keys = new Set(schemaKeys(settingsJsonSchema()).map((k) => docKey(k.path)));
        assert.deepEqual([...keys].filter((k) => CONFIG_DOCS[k] === undefined), [], "keys without a description");
        assert.deepEqual(Object.keys(CONFIG_DOCS).filter((k) => !keys.has(k)), [], "descriptions of keys the settings do not have");
        // Every key's description reaches the schema editors read.
        const cluster = stackFileSchema().properties.config.properties["istio-workshop:cluster"];
        assert.equal(cluster.properties.adminCidrs.description, CONFIG_DOCS["cluster.adminCidrs"]);
    });

    it("every shipped stack file names the schema on its first line and passes it", () => {
        const validate = validator();
        const stacks = listStacks(ROOT);
        for (const shipped of ["ambient", "dev", "local", "workshop"]) assert.ok(stacks.includes(shipped), shipped);
        for (const stack of stacks) {
            const text = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
            assert.equal(text.split("\n")[0], "# yaml-language-server: $schema=schema/stack.schema.json", stack);
            assert.ok(validate(YAML.parse(text)), `${stack}: ${JSON.stringify(validate.errors)}`);
        }
    });

    it("refuses what the settings refuse: a misspelt key, an out-of-range value, a wrong type, a foreign namespace", () => {
        const validate = validator();
        const file = (config: Record<string, unknown>) => ({ config: { "istio-workshop:cluster": { mode: "eks", adminCidrs: ["10.0.0.0/8"] }, ...config } });
        assert.ok(validate(file({ "aws:profile": "x", "istio-workshop:attendees": 3 })));
        const cases: [Record<string, unknown>, Record<string, unknown>][] = [
            [{ "istio-workshop:cluster": { mode: "eks", adminCidrs: ["10.0.0.0/8"], availabiltyZones: 3 } }, { cluster: { mode: "eks", adminCidrs: ["10.0.0.0/8"], availabiltyZones: 3 } }],
            [{ "istio-workshop:cluster": { mode: "eks", adminCidrs: ["10.0.0.0/8"], availabilityZones: 5 } }, { cluster: { mode: "eks", adminCidrs: ["10.0.0.0/8"], availabilityZones: 5 } }],
            [{ "istio-workshop:addons": { kiali: "maybe" } }, { cluster: { mode: "eks", adminCidrs: ["10.0.0.0/8"] }, addons: { kiali: "maybe" } }],
            [{ "istio-workshop:apps": { bookinfo: { stage: "jason" } } }, { cluster: { mode: "eks", adminCidrs: ["10.0.0.0/8"] }, apps: { bookinfo: { stage: "jason" } } }],
        ];
        for (const [config, raw] of cases) {
            assert.ok(!validate(file(config)), `schema admits ${JSON.stringify(config)}`);
            assert.throws(() => settingsFor(raw), SettingsError, `settings admit ${JSON.stringify(raw)}`);
        }
        assert.ok(!validate(file({ "istio-worksop:attendees": 3 })), "a misspelt namespace");
    });
});
