/**
 * The architecture, as rules over the import graph (dependency-cruiser; checked by
 * test/architecture.spec.ts and `npx depcruise --config .dependency-cruiser.js src scripts policy index.ts`).
 *
 * Layers, lowest first; an import points down (or sideways within its folder), never up:
 *   settings     stack config: schema, parsing, stack files, the configuration reference
 *   model        what several domains name: namespaces, gateways, addresses, typed Istio objects, images, labels
 *   domains      cluster, mesh, addons, lessons, classroom: each its pure builders and its components
 *   workshop     the workshop resolved once: lessons per namespace, sizing, capacity, the charts a stack installs
 *   judgement    the offline judgement: plan recording and rendering, whole-cluster checks, evaluators, attacks
 *   tooling      the binaries and CLIs the commands drive (helm, kubectl, Pulumi)
 *   entry points index.ts (the program), src/index.ts (the package), policy/ (the policy pack), scripts/ (commands)
 */
const COMPONENTS = "^src/(cluster/workshopCluster|mesh/istioMesh|addons/observabilityAddons|classroom/(classroom|attendee|lessonsNamespace))[.]ts$";
const DOMAINS = ["cluster", "mesh", "addons", "lessons", "classroom"];

module.exports = {
    forbidden: [
        { name: "no-cycles", severity: "error", comment: "No import cycles, type-only imports included.", from: {}, to: { circular: true } },
        {
            name: "settings-import-only-settings",
            severity: "error",
            comment: "The settings are the bottom layer: they import nothing else of the project.",
            from: { path: "^src/settings/" },
            to: { path: "^(src/(?!settings/)|scripts/|policy/|index[.]ts)" },
        },
        {
            name: "model-imports-only-settings",
            severity: "error",
            comment: "The shared model imports the settings and itself only.",
            from: { path: "^src/model/" },
            to: { path: "^(src/(?!settings/|model/)|scripts/|policy/|index[.]ts)" },
        },
        ...DOMAINS.map((d) => ({
            name: `${d}-imports-down`,
            severity: "error",
            comment: `The ${d} domain imports the settings, the shared model and its own folder; of other domains, the pure builders its DOMAIN_EDGES allow.`,
            from: { path: `^src/${d}/` },
            to: { path: `^(src/(workshop|judgement|tooling)/|src/index[.]ts|scripts/|policy/|index[.]ts)` },
        })),
        {
            name: "domains-never-import-each-others-components",
            severity: "error",
            comment: "A component is constructed by its own domain's components and by the entry points, nothing else.",
            from: { path: "^src/", pathNot: "^src/index[.]ts$" },
            to: { path: COMPONENTS },
        },
        {
            name: "builders-never-import-components",
            severity: "error",
            comment: "Pure builders (every file of a domain but its components) never import a component.",
            from: { path: "^src/", pathNot: COMPONENTS },
            to: { path: COMPONENTS },
        },
        {
            name: "workshop-imports-down",
            severity: "error",
            comment: "The resolved workshop imports settings, model and the domains' pure builders.",
            from: { path: "^src/workshop/" },
            to: { path: "^(src/(judgement|tooling)/|src/index[.]ts|scripts/|policy/|index[.]ts)" },
        },
        {
            name: "judgement-never-imports-components",
            severity: "error",
            comment: "The offline judgement imports the settings, model, builders and workshop, never a component, a tool or a command.",
            from: { path: "^src/judgement/" },
            to: { path: "^(src/tooling/|src/index[.]ts|scripts/|policy/|index[.]ts)" },
        },
        {
            name: "tooling-imports-down",
            severity: "error",
            comment: "The tools import settings and the judgement at most, never a command or an entry point.",
            from: { path: "^src/tooling/" },
            to: { path: "^(src/index[.]ts|scripts/|policy/|index[.]ts)" },
        },
        {
            name: "nothing-imports-scripts",
            severity: "error",
            comment: "scripts/ holds command-line entry points: nothing imports them.",
            from: { pathNot: "^scripts/" },
            to: { path: "^scripts/" },
        },
        {
            name: "scripts-import-no-entry-point",
            severity: "error",
            comment: "Commands import the library (src/), not one another.",
            from: { path: "^scripts/" },
            to: { path: "^(scripts/|index[.]ts|policy/)" },
        },
        {
            name: "policy-pack-imports-judgement",
            severity: "error",
            comment: "The policy pack is a thin entry point over the judgement's rules.",
            from: { path: "^policy/" },
            to: { path: "^(src/(?!judgement/)|scripts/|index[.]ts)" },
        },
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        exclude: { path: "node_modules" },
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
    },
};
