// Lint: Pulumi's own rules (an Output inside a template string is a bug: use pulumi.interpolate)
// and promises that are never awaited (a registration failure that would go unnoticed).
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", ".scratch/", "**/*.mjs"] },
    {
        files: ["**/*.ts"],
        languageOptions: {
            parser: tseslint.parser,
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        plugins: { "@typescript-eslint": tseslint.plugin, "@pulumi": pulumi },
        rules: {
            "@typescript-eslint/no-floating-promises": "error",
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
        },
    },
);
