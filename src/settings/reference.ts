/**
 * The configuration reference and the stack files' JSON Schema, both generated
 * from the settings' zod schema (`rawSchema`, through zod's own JSON Schema
 * export): keys, types, allowed values, ranges and defaults come from the
 * schema; what each key does comes from CONFIG_DOCS, which a test keeps
 * exactly as large as the schema (no key undocumented, no description of a key
 * that is gone). `npm run config-reference` writes both files.
 */
import { z } from "zod";
import { PROJECT, PROVIDER_CONFIG_NAMESPACES, rawSchema } from "./settings";

type Json = Record<string, any>;

/** What each key does, by dotted path; `<lesson>` and `<addon>` stand for every lesson or addon. */
export const CONFIG_DOCS: Readonly<Record<string, string>> = {
    cluster: "Where the workshop runs: a new EKS cluster, or a cluster you already have.",
    "cluster.mode": "`eks` creates a VPC and an EKS cluster; `existing` deploys to a cluster you have (kind, minikube, Docker Desktop) and creates no AWS resource.",
    "cluster.name": "EKS cluster name (eks only); default `istio-workshop-<stack>`.",
    "cluster.region": "AWS region of the VPC and cluster (eks only). A stack file's `aws:region`, if any, must be the same.",
    "cluster.kubernetesVersion": "Kubernetes version of the EKS cluster; quote it (YAML reads 1.30 as 1.3). The plan warns when a version has left EKS standard support (extended support costs six times as much per cluster hour).",
    "cluster.vpcCidr": "The VPC's IPv4 range, /16 to /20 (room for a public and a private subnet per zone).",
    "cluster.availabilityZones": "Zones the VPC and node group span.",
    "cluster.natGateways": "`single` NAT gateway (cheapest) or `onePerAz` (survives the loss of a zone).",
    "cluster.nodeGroup": "The managed node group the workshop runs on.",
    "cluster.nodeGroup.instanceType": "EC2 instance type of the nodes: one of the capacity table (`src/workshop/capacity.ts`), or another with `desiredSize` and `maxSize` pinned.",
    "cluster.nodeGroup.minSize": "Fewest nodes; default sized from the workload (any one of the three sizes you pin is kept).",
    "cluster.nodeGroup.desiredSize": "Nodes to start with; default the capacity estimate for the attendees and lessons; min ≤ desired ≤ max.",
    "cluster.nodeGroup.maxSize": "Most nodes; default the estimate plus 25 %.",
    "cluster.nodeGroup.capacityType": "`on-demand`, or `spot` (cheaper, may be reclaimed mid-workshop).",
    "cluster.nodeGroup.diskSizeGiB": "Encrypted gp3 root volume per node.",
    "cluster.adminCidrs": "**Required for eks**: IPv4 CIDRs that may reach the Kubernetes API endpoint. No default, so the endpoint is never public by accident; `[\"0.0.0.0/0\"]` makes it public on purpose (IAM authentication still applies, and the plan warns).",
    "cluster.adminPrincipalArns": "IAM roles or users given cluster-admin through EKS access entries (the identity that runs `up` is admin already).",
    "cluster.controlPlaneLogs": "EKS control-plane log types sent to CloudWatch.",
    "cluster.protect": "Protect the EKS cluster from deletion; default true in every stack but `dev` (eks only). `destroy` then refuses until `pulumi state unprotect`.",
    "cluster.imageCache": "`ecr`: ECR pull-through cache rules for the registries the stack's images come from, every such image pulled through them (eks only); `none`: images pulled from their registries.",
    "cluster.imageCacheCredentials": "Secrets Manager secrets (names starting `ecr-pullthroughcache/`) with the credentials ECR needs to cache a registry; without one, that registry's images are pulled directly.",
    "cluster.imageCacheCredentials.docker.io": "Docker Hub credentials secret ARN.",
    "cluster.imageCacheCredentials.ghcr.io": "GitHub Container Registry credentials secret ARN.",
    "cluster.kubeconfig": "Path to the kubeconfig (existing only); default `$KUBECONFIG` or `~/.kube/config`.",
    "cluster.context": "**Required for existing**: the kubeconfig context to deploy to, never whatever is current; `npm run up` prints it and refuses one the kubeconfig does not have.",
    istio: "Istio: one version for every chart, mesh-wide mTLS, gateways, tracing.",
    "istio.version": "The Istio release; every Istio chart at this version (see docs/operations.md, Upgrading Istio).",
    "istio.mtls": "The mesh-wide PeerAuthentication's mode.",
    "istio.egressGateway": "Add the `istio-egressgateway` release (needed by the egress lesson's `egress-gateway` stage).",
    "istio.accessLogs": "Envoy access logs on every proxy's stdout.",
    "istio.ingress": "The shared ingress gateway.",
    "istio.ingress.serviceType": "`LoadBalancer` (an AWS network load balancer) or `NodePort`; default `LoadBalancer` on eks, `NodePort` on existing.",
    "istio.ingress.sourceCidrs": "IPv4 CIDRs that may reach the gateway's load balancer (ports 80 and 443 only: attendees need them).",
    "istio.ingress.httpNodePort": "Node port of HTTP with `NodePort`.",
    "istio.ingress.httpsNodePort": "Node port of HTTPS with `NodePort`; differs from `httpNodePort`.",
    "istio.ingress.certificateArn": "An ACM certificate: the load balancer ends TLS on 443 with it (eks with `LoadBalancer` only); required by `addons.expose`. Without one the gateway ends TLS itself with the workshop CA's certificate (myApp's `tls` stage).",
    "istio.tracing": "Tracing to Jaeger.",
    "istio.tracing.samplingPercent": "Share of requests traced, in percent.",
    addons: "The observability addons, each `true`, `false` or `{ enabled, version }`.",
    "addons.<addon>": "The addon on or off, or a mapping with its version. Prometheus must stay on while Kiali or Grafana is on.",
    "addons.<addon>.enabled": "The addon on or off.",
    "addons.<addon>.version": "Its chart version (Jaeger: its image tag).",
    "addons.expose": "Serve Kiali, Grafana and Jaeger through the ingress gateway, over https only (needs `istio.ingress.certificateArn`), each behind a login; Prometheus never.",
    apps: "The lessons: which run, at which stage, with which routes.",
    "apps.namespace": "Namespace of the lessons without attendees; not `default`, `kube-*` or `istio-*`.",
    "apps.handsOn": "The stack deploys workloads and Services only; attendees apply each stage's routing and policy objects from their hand-out and start the checks (docs/classroom.md).",
    "apps.traffic": "Traffic generators.",
    "apps.traffic.enabled": "Traffic generators on or off.",
    "apps.traffic.requestsPerSecond": "Requests per second per generator.",
    "apps.verify": "Verification Jobs.",
    "apps.verify.enabled": "Verification Jobs on or off.",
    "apps.verify.requests": "Requests per check (more requests, tighter tolerance).",
    "apps.<lesson>": "The lesson on or off, or a mapping (`enabled`, `stage`, `routes`, `subsets`). The seed lessons are on by default, the others off.",
    "apps.<lesson>.enabled": "The lesson on or off.",
    "apps.<lesson>.stage": "The class's stage of the lesson (docs/lessons.md walks each).",
    "apps.<lesson>.routes": "Per host (a Service of the lesson, or `gateway`): at most 50 rules `{ match: { sourceLabels, prefix, exact, headers }, weights: { <subset>: <percent> }, to: <service> }` replacing the stage's routes for that host; weights add up to 100.",
    "apps.<lesson>.subsets": "Per host: `{ <subset>: { <label>: <value> } }` replacing that host's subsets.",
    attendees: "A count (ids `attendee-01`, …) or a list of unique ids (DNS labels of at most 40 characters, not `default`, `demo`, `kube-*`, `istio-*`, `apps.namespace`, nor starting with an addon's name). `0` or `[]`: the single lessons namespace. The plan refuses more than one cluster holds.",
    classroom: "The classroom: stages per attendee, tokens, routing by domain, prices.",
    "classroom.stages": "`{ <attendee id>: { <lesson>: <stage> } }`: attendees at another stage than the class.",
    "classroom.tokenHours": "Hours an attendee's token (from `npm run kubeconfigs`) stays valid; EKS issues none for longer than a day.",
    "classroom.domain": "A DNS domain: attendee routes use host `<id>.<domain>` instead of the prefix `/<id>` (point a wildcard record at the gateway).",
    "classroom.pricing": "Prices for the cost estimate, USD.",
    "classroom.pricing.controlPlanePerHour": "EKS control plane per hour; default 0.10.",
    "classroom.pricing.natGatewayPerHour": "NAT gateway per hour; default 0.045.",
    "classroom.pricing.loadBalancerPerHour": "Network load balancer per hour; default 0.0225.",
    "classroom.pricing.spotShare": "Spot price as a share of on-demand; default 0.35.",
    "classroom.pricing.instances": "`{ <instance type>: <USD per hour> }`; default the table in `src/workshop/capacity.ts`.",
};

const ADDONS = ["prometheus", "grafana", "jaeger", "kiali"];

/** The documentation key of a schema path: a lesson's or addon's own keys share one description. */
export function docKey(path: string): string {
    const parts = path.split(".");
    if (parts[0] === "addons" && ADDONS.includes(parts[1])) parts[1] = "<addon>";
    if (parts[0] === "apps" && parts.length > 1 && !["namespace", "handsOn", "traffic", "verify"].includes(parts[1])) parts[1] = "<lesson>";
    return parts.join(".");
}

/** The settings as JSON Schema (zod's export of what a stack file may hold), every key with its description. */
export function settingsJsonSchema(): Json {
    const schema = z.toJSONSchema(rawSchema, { io: "input", unrepresentable: "any" }) as Json;
    for (const { path, node } of schemaKeys(schema)) {
        const text = CONFIG_DOCS[docKey(path)];
        if (text !== undefined) node.description = text;
    }
    return schema;
}

/** Every key of the schema with its node, depth first; a mapping alternative's keys (`{ enabled, version }`) under the key itself. */
export function schemaKeys(node: Json, prefix = ""): { path: string; node: Json }[] {
    const out: { path: string; node: Json }[] = [];
    for (const [key, child] of Object.entries<Json>(node.properties ?? {})) {
        const path = prefix === "" ? key : `${prefix}.${key}`;
        out.push({ path, node: child });
        out.push(...schemaKeys(child, path));
        for (const alt of child.anyOf ?? []) if (alt.type === "object") out.push(...schemaKeys(alt, path));
    }
    return out;
}

/**
 * The JSON Schema of a stack file (`Pulumi.<stack>.yaml`) for editors: this
 * project's keys as the settings define them, the providers' namespaces free,
 * and nothing else, as the program itself reads them.
 */
export function stackFileSchema(): Json {
    const settings = settingsJsonSchema();
    const properties = Object.fromEntries(Object.entries<Json>(settings.properties).map(([k, v]) => [`${PROJECT}:${k}`, v]));
    return {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        title: "istio-workshop stack file (Pulumi.<stack>.yaml)",
        description: "Generated by `npm run config-reference` from the settings' schema (src/settings/settings.ts).",
        type: "object",
        properties: {
            config: {
                type: "object",
                properties,
                patternProperties: { [`^(${PROVIDER_CONFIG_NAMESPACES.join("|")}):`]: {} },
                additionalProperties: false,
            },
            encryptionsalt: { type: "string" },
            secretsprovider: { type: "string" },
            encryptedkey: { type: "string" },
        },
    };
}

const code = (v: unknown) => `\`${typeof v === "string" ? v : JSON.stringify(v)}\``;

/** What a key may be, in words, from its schema node. */
export function allowed(node: Json): string {
    if (node.anyOf) return node.anyOf.map(allowed).join(", or ");
    if (node.enum) return node.enum.map(code).join(", ");
    switch (node.type) {
        case "boolean":
            return "`true` or `false`";
        case "integer":
        case "number": {
            const kind = node.type === "integer" ? "an integer" : "a number";
            return node.minimum !== undefined && node.maximum !== undefined ? `${kind} from ${node.minimum} to ${node.maximum}` : kind;
        }
        case "string":
            return node.format === "cidrv4" ? "an IPv4 CIDR" : node.pattern ? "a string (checked)" : "a string";
        case "array":
            return `a list of ${plural(allowed(node.items ?? {}))}${node.minItems ? ` (at least ${node.minItems})` : ""}${node.maxItems ? ` (at most ${node.maxItems})` : ""}`;
        case "object":
            return node.properties ? "a mapping of the keys below" : "a mapping";
        default:
            return "any";
    }
}

/** "a string (checked)" as a list's items: "strings (checked)"; enumerations stay as they are. */
function plural(one: string): string {
    const m = /^an? ([\w-]+( [\w-]+)?)(.*)$/.exec(one);
    if (!m || one.startsWith("`")) return one;
    const words = m[1].split(" ");
    words[words.length - 1] += "s";
    return `${words.join(" ")}${m[3]}`;
}

/** What a lesson's or addon's shared key allows and defaults to, where each has its own. */
const GENERIC: Readonly<Record<string, { readonly allowed?: string; readonly default: string }>> = {
    "apps.<lesson>.stage": { allowed: "one of the lesson's stages", default: "the lesson's start (* above)" },
    "addons.<addon>.version": { default: "the addon's pinned version (its row)" },
};

const defaultOf = (node: Json) => (node.default === undefined || (typeof node.default === "object" && node.default !== null && !Array.isArray(node.default) && Object.keys(node.default).length === 0) ? "" : code(node.default));

/** The configuration reference, as Markdown. */
export function configReference(): string {
    const schema = settingsJsonSchema();
    const lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `npm run config-reference` from src/settings/settings.ts; a test keeps this file equal to it. -->",
        "",
        `Every key lives in the \`${PROJECT}\` namespace of \`Pulumi.<stack>.yaml\`, e.g. \`${PROJECT}:cluster: { mode: eks }\`.`,
        "Unknown keys, wrong types and out-of-range values are refused before anything is registered, in one",
        "message that names every key and what it allows. Other namespaces: the providers' (" +
            PROVIDER_CONFIG_NAMESPACES.map((n) => `\`${n}:\``).join(", ") +
            "); of `aws:`, only `aws:profile` (honoured) and an `aws:region` equal to `cluster.region`.",
        "",
        "Editors check and complete stack files with [`schema/stack.schema.json`](../schema/stack.schema.json), generated with this page;",
        "the shipped stack files name it on their first line (`# yaml-language-server: $schema=schema/stack.schema.json`).",
    ];
    for (const [section, node] of Object.entries<Json>(schema.properties)) {
        lines.push("", `## \`${section}\``, "", ...(node.properties ? [CONFIG_DOCS[section], ""] : []), "| key | allowed | default | what it does |", "|---|---|---|---|");
        const rows = node.properties ? schemaKeys(node, section) : [{ path: section, node }];
        const seen = new Set<string>();
        for (const { path, node: n } of rows) {
            const key = docKey(path);
            // A lesson's or addon's own keys: described once, under the generic name.
            if (key !== path && key.split(".").length > 2) {
                if (seen.has(key)) continue;
                seen.add(key);
                const generic = GENERIC[key];
                lines.push(`| \`${key}\` | ${generic?.allowed ?? allowed(n)} | ${generic?.default ?? defaultOf(n)} | ${CONFIG_DOCS[key]} |`);
                continue;
            }
            const mapping = (n.anyOf ?? []).find((a: Json) => a.type === "object");
            const extra = key.endsWith("<lesson>") ? ` Stages: ${stagesOf(n)}.` : key.endsWith("<addon>") ? ` Pinned version: \`${mapping?.properties?.version?.default}\`.` : "";
            lines.push(`| \`${path}\` | ${allowed(n)} | ${defaultOf(n)} | ${CONFIG_DOCS[key]}${extra} |`);
        }
    }
    return `${lines.join("\n")}\n`;
}

/** A lesson's stages, from its mapping's `stage` enum, the default marked. */
function stagesOf(node: Json): string {
    const mapping = (node.anyOf ?? []).find((a: Json) => a.type === "object");
    const stage = mapping?.properties?.stage;
    return (stage?.enum ?? []).map((s: string) => (s === stage.default ? `\`${s}\`*` : `\`${s}\``)).join(", ");
}
