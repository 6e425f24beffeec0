/**
 * The architecture as rules over the import graph (dependency-cruiser), checked by
 * test/architecture.spec.ts; `npx depcruise --config .dependency-cruiser.js index.ts src scripts policy`
 * prints the violations, if any.
 *
 * Layers, lowest first; an import points down, or sideways within its folder, never up:
 *   src/settings   stack config: the schema per section, parsing, stack files, the configuration reference
 *   src/model      what several domains name: namespaces, gateways, addresses, typed Istio objects, images, labels, pod demand
 *   domains        src/cluster, src/mesh, src/addons, src/lessons, src/classroom: pure builders, then components
 *   src/workshop   the workshop resolved once: lessons per namespace, sizing, capacity, images, the charts a stack installs
 *   src/tooling    what the commands drive: helm, kubectl, the Pulumi CLI (Automation API), kubeconfigs, the end-to-end run
 *   src/judgement  the offline judgement: recording and rendering a plan, whole-cluster checks, Kubernetes evaluators, attacks
 *   entry points   index.ts (the program), src/index.ts (the package), policy/ (the policy pack), scripts/ (commands)
 *
 * A domain's pure builders import the settings, the shared model and their own folder (the
 * classroom also the lessons' builders: it hosts them). Its components (COMPONENTS) also import
 * the other domains' builders and the resolved workshop, never another domain's components.
 */
const COMPONENTS = "^src/(cluster/workshopCluster|mesh/istioMesh|addons/observabilityAddons|classroom/(classroom|attendee|lessonsNamespace))[.]ts$";
/** Of other domains, the pure builders a domain's builders may import. */
const DOMAIN_EDGES = { cluster: [], mesh: [], addons: [], lessons: [], classroom: ["lessons"] };
const ENTRY_POINTS = "^(index[.]ts|src/index[.]ts|policy/|scripts/)";

const up = (name, from, to, comment) => ({ name, severity: "error", comment, from, to });

module.exports = {
    forbidden: [
        up("no-cycles", {}, { circular: true }, "No import cycles, type-only imports included."),
        up("settings-are-the-bottom", { path: "^src/settings/" }, { path: "^(src/(?!settings/)|policy/|scripts/|index[.]ts)" }, "The settings import nothing else of the project."),
        up("model-imports-settings-only", { path: "^src/model/" }, { path: "^(src/(?!settings/|model/)|policy/|scripts/|index[.]ts)" }, "The shared model imports the settings and itself only."),
        ...Object.entries(DOMAIN_EDGES).map(([domain, edges]) =>
            up(
                `${domain}-builders-import-down`,
                { path: `^src/${domain}/`, pathNot: COMPONENTS },
                { path: `^(src/(?!settings/|model/|${[domain, ...edges].join("/|")}/)|policy/|scripts/|index[.]ts)` },
                `The ${domain} domain's pure builders import the settings, the shared model and their own folder${edges.length > 0 ? `, and the builders of ${edges.join(", ")}` : ""}.`,
            ),
        ),
        up(
            "components-import-down",
            { path: COMPONENTS },
            { path: `^(src/(judgement|tooling)/|${ENTRY_POINTS.slice(1)})` },
            "A component imports the settings, the model, the domains' builders and the resolved workshop; never the judgement, a tool or an entry point.",
        ),
        up(
            "never-another-domains-component",
            { path: "^src/([^/]+)/" },
            { path: COMPONENTS, pathNot: "^src/$1/" },
            "A component is constructed by its own domain's components and by the entry points, nothing else.",
        ),
        up("builders-never-import-components", { path: "^src/", pathNot: `${COMPONENTS}|^src/index[.]ts$` }, { path: COMPONENTS }, "Pure modules never import a component."),
        up("workshop-imports-down", { path: "^src/workshop/" }, { path: `^(src/(judgement|tooling)/|${ENTRY_POINTS.slice(1)})` }, "The resolved workshop imports the settings, the model and the domains' builders."),
        up("tooling-imports-down", { path: "^src/tooling/" }, { path: `^(src/judgement/|${ENTRY_POINTS.slice(1)})` }, "The tools import what is below them (settings, model, builders, workshop), never the judgement (which uses them) or an entry point."),
        up("judgement-imports-down", { path: "^src/judgement/" }, { path: `^${ENTRY_POINTS.slice(1)}` }, "The offline judgement never imports an entry point (nor a component: see builders-never-import-components)."),
        up("nothing-imports-scripts", { pathNot: "^scripts/" }, { path: "^scripts/" }, "scripts/ holds command-line entry points: nothing imports them, tests included."),
        up("scripts-import-the-library", { path: "^scripts/" }, { path: "^(scripts/|index[.]ts|policy/|src/index[.]ts)" }, "A command imports the library (src/), not another command or entry point."),
        up("policy-pack-imports-judgement", { path: "^policy/" }, { path: "^(src/(?!judgement/)|scripts/|index[.]ts)" }, "The policy pack is a thin entry point over the judgement's rules."),
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        exclude: { path: "node_modules" },
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
    },
};
