/**
 * A namespace's lessons, built: every object of each lesson at its stage
 * (workloads, routing and policies, checks, hand-outs) as the manifests of the
 * namespace's lessons release, and the egress lesson's stand-in and platform
 * route. Pure: `src/classroom/` registers them.
 */
import * as path from "path";
import { atStage, trafficRate, type GatewayPlacement } from "./resolve";
import { istioObject, type IstioObject } from "../model/istioObjects";
import { GATEWAY_HOST, OUT_OF_MESH_LABELS, serviceAccountOf, type ScenarioDef } from "./model";
import { destinationRules, policyObjects, virtualService } from "./routing";
import { gatewayHttpRoutes, serviceHttpRoute, waypointGateway } from "./gatewayRoutes";
import { deploymentSpec, serviceSpec, trafficGenerators } from "./workloads";
import { VERIFY_ACCOUNT, VERIFY_CONFIG_MAP, VERIFY_SCRIPT, checkPlans, jobSpec, verifyEnv } from "./checks";
import { IMAGES } from "../model/images";
import { LESSON_LABEL } from "./handOut";
import { EGRESS_GATEWAY_PORT, EXTERNAL_HOST, EXTERNAL_PORT, externalStandIn } from "./catalog/egress";
import { EGRESS_GATEWAY, EXTERNAL_NAMESPACE, WAYPOINT } from "../model/platform";
import { serviceAccountManifest } from "./workloads";
import { platformOnly } from "./routing";
import { type Apps } from "./resolve";
import { handOutManifest } from "./handOut";
import { type BuiltCheck, type BuiltScenario, type Manifest } from "./built";

export interface BuildOptions {
    readonly namespace: string;
    /** Where the scenario's gateway routes go on the shared gateway (an attendee's prefix or host). */
    readonly placement?: GatewayPlacement;
    readonly verify: boolean;
    readonly requests: number;
    readonly rate?: number;
    /**
     * Hands-on: the attendee applies the routing and policy objects of each
     * stage (`routingParts`) from the hand-out; the verification Jobs
     * wait, as suspended CronJobs, until the attendee runs them.
     */
    readonly handsOn?: boolean;
    /** The namespaces the namespace's default Sidecar imports (`sidecarEgressHosts`). */
    readonly sidecarHosts?: readonly string[];
}

/** What a namespace's proxies import when no mesh settings say otherwise: their own namespace and the control plane's. */
const DEFAULT_SIDECAR_HOSTS = ["./*", "istio-system/*"];





type RoutingParts = Pick<BuiltScenario, "destinationRules" | "virtualServices" | "gatewayApi" | "policies">;

/**
 * A lesson's routing and policy objects at its stage: what the stack installs, or hands out stage by stage. An
 * ambient lesson routes with HTTPRoutes only (its waypoint reads them), its subsets no more than what checks expect.
 */
function routingParts(s: ScenarioDef, namespace: string, placement: GatewayPlacement | undefined, sidecarHosts: readonly string[]): RoutingParts {
    const ambient = s.dataplane === "ambient";
    const apiRoutes = (r: ScenarioDef["routing"][number]) => ambient || (r.host === GATEWAY_HOST && placement?.api === "gateway-api");
    const apiRoute = (r: ScenarioDef["routing"][number]) => (r.host === GATEWAY_HOST ? gatewayHttpRoutes(r, s, namespace, placement) : [serviceHttpRoute(r, s, namespace)]);
    return {
        destinationRules: ambient ? [] : destinationRules(s, namespace),
        virtualServices: s.routing.filter((r) => !apiRoutes(r)).map((r) => ({ host: r.host, object: virtualService(r, s, namespace, placement) })),
        gatewayApi: [...(s.waypoint ? [waypointGateway(namespace)] : []), ...s.routing.filter(apiRoutes).flatMap(apiRoute)],
        policies: policyObjects(s.policies, namespace, sidecarHosts),
    };
}

function routingManifests(p: RoutingParts): Manifest[] {
    return [...p.destinationRules, ...p.virtualServices.map(({ object }) => object), ...p.gatewayApi, ...p.policies] as unknown as Manifest[];
}

export function buildScenario(s: ScenarioDef, o: BuildOptions): BuiltScenario {
    const ns = o.namespace;
    const generator = trafficGenerators(s, o.rate, o.placement);
    const workloads = [...s.workloads, ...generator];
    const checks: BuiltCheck[] = !o.verify
        ? []
        : [
              ...checkPlans(s, o.requests, o.placement).map((c) => ({
                  name: c.name,
                  job: jobSpec(c.name, ns, c.podLabels, {
                      name: "verify",
                      image: IMAGES.curl,
                      command: ["sh", "/verify/verify.sh"],
                      env: verifyEnv(c),
                      volumeMounts: [
                          { name: "verify", mountPath: "/verify", readOnly: true },
                          ...(c.caFile ? [{ name: "gateway-ca", mountPath: path.dirname(c.caFile), readOnly: true }] : []),
                      ],
                  }, { serviceAccount: c.serviceAccount, annotations: c.podAnnotations, gatewayCa: c.caFile !== undefined }),
                  usesScript: true,
              })),
              ...(s.extraChecks ?? []).map((x) => ({
                  name: `verify-${x.name}`,
                  // A stage without sidecars checks from a pod without one, as its workloads run.
                  job: jobSpec(
                      `verify-${x.name}`,
                      ns,
                      { app: `verify-${s.name}`, version: "verify", ...(s.withoutSidecars ? OUT_OF_MESH_LABELS : {}) },
                      { name: "verify", image: x.image, command: [...x.command] },
                  ),
                  usesScript: false,
              })),
          ];
    // Labelled by lesson, so a step can remove the lesson's previous stage before applying the next.
    const byLesson = (m: Manifest): Manifest => ({ ...m, metadata: { ...m.metadata, labels: { ...(m.metadata.labels ?? {}), [LESSON_LABEL]: s.name } } });
    const hosts = o.sidecarHosts ?? DEFAULT_SIDECAR_HOSTS;
    const handOut = o.handsOn
        ? (s.stages ?? []).map((st) => ({
              lesson: s.name,
              stage: st.name,
              // Sidecars are the workloads', which the stack deploys: the organiser's stage decides them.
              summary: st.withoutSidecars ? `${st.summary} (the sidecars come and go with the class's stage, which the organiser sets)` : st.summary,
              ...(st.handOutNote ? { note: st.handOutNote } : {}),
              objects: routingManifests(routingParts(atStage(s, st.name), ns, o.placement, hosts))
                  .filter((m) => !platformOnly(m))
                  .map(byLesson),
          }))
        : undefined;
    return {
        name: s.name,
        handOut,
        serviceAccounts: [...new Set(workloads.map(serviceAccountOf))],
        configMaps: workloads.flatMap((w) =>
            w.config ? [{ name: w.config.name, spec: { metadata: { name: w.config.name, namespace: ns }, data: { ...w.config.files } } }] : [],
        ),
        deployments: workloads.map((w) => ({ name: w.name, spec: deploymentSpec(w, ns), configMap: w.config?.name })),
        // At a stage with the lesson's waypoint, every Service of the lesson sends through it.
        services: s.services.map((svc) => ({ name: svc.name, spec: serviceSpec(svc, ns, s.waypoint ? { [WAYPOINT.useLabel]: WAYPOINT.name } : {}) })),
        ...routingParts(s, ns, o.placement, hosts),
        checks,
    };
}


/**
 * Every object of a built scenario as a manifest. Order among them is Helm's:
 * it applies by kind (ServiceAccounts and ConfigMaps before Deployments and
 * Services, Istio's kinds last), waits until they are ready, then runs the
 * verification Jobs, which are hooks, so each measures a mesh that is ready.
 */
function scenarioManifests(b: BuiltScenario, namespace: string): Manifest[] {
    // Hands-on, the attendee applies the routing; what attendees may not create stays the stack's, at the class's stage.
    const routing = b.handOut ? (b.policies.filter(platformOnly) as unknown as Manifest[]) : routingManifests(b);
    return [
        ...b.serviceAccounts.map((name) => serviceAccountManifest(name, namespace)),
        ...b.configMaps.map((c) => ({ apiVersion: "v1", kind: "ConfigMap", ...c.spec }) as Manifest),
        ...b.deployments.map((d) => ({ apiVersion: "apps/v1", kind: "Deployment", ...d.spec }) as Manifest),
        ...b.services.map((s) => ({ apiVersion: "v1", kind: "Service", ...s.spec }) as Manifest),
        ...routing,
        ...b.checks.map((c) => (b.handOut ? waitingCheck(c) : ({ apiVersion: "batch/v1", kind: "Job", ...c.job } as Manifest))),
    ];
}

/** A verification Job the attendee starts (`kubectl create job --from=cronjob/<name>`): a CronJob that never runs by itself. */
function waitingCheck(c: BuiltCheck): Manifest {
    const { annotations: _hook, ...metadata } = (c.job.metadata ?? {}) as Record<string, unknown>;
    return { apiVersion: "batch/v1", kind: "CronJob", metadata, spec: { suspend: true, schedule: "0 0 1 1 *", jobTemplate: { spec: c.job.spec } } };
}

/** What a namespace of lessons is built from: its name, its lessons at their stages, the apps settings they run with, its place on the gateway. */
export interface NamespaceLessons {
    readonly namespace: string;
    readonly lessons: readonly ScenarioDef[];
    readonly apps: Apps;
    readonly placement?: GatewayPlacement;
}

/** The lessons of one namespace, built as the stack builds them (the classroom's namespaces use the same). */
export function buildNamespace({ namespace, lessons, apps, placement }: NamespaceLessons, sidecarHosts?: readonly string[]): BuiltScenario[] {
    return lessons.map((s) =>
        buildScenario(s, {
            namespace,
            verify: apps.verify.enabled,
            requests: apps.verify.requests,
            rate: trafficRate(apps),
            placement,
            handsOn: apps.handsOn,
            sidecarHosts,
        }),
    );
}

/** The objects of the egress lesson's stand-in host, in its own namespace: no checks, no routes. */
export function standInManifests(): Manifest[] {
    return namespaceManifests([buildScenario(externalStandIn(), { namespace: EXTERNAL_NAMESPACE, verify: false, requests: 0 })], EXTERNAL_NAMESPACE);
}

/**
 * The platform's half of the egress lesson's `egress-gateway` stage, in the
 * egress gateway's namespace (attendees may not bind routes to gateways): a
 * Gateway for the stand-in host on the egress gateway's port 80, and the route
 * from that Gateway on to the host (whose Service is exported to that namespace
 * alone besides its own). Every namespace at that stage routes its calls for
 * the host to the egress gateway (its `EgressRoute`); these objects take over.
 */
export function egressGatewayRoute(): IstioObject[] {
    const namespace = EGRESS_GATEWAY.namespace;
    const port = { number: EGRESS_GATEWAY_PORT, name: "http", protocol: "HTTP" };
    return [
        istioObject("Gateway", { name: EGRESS_ROUTE_GATEWAY, namespace }, { selector: { ...EGRESS_GATEWAY.selector }, servers: [{ port, hosts: [EXTERNAL_HOST] }] }),
        istioObject(
            "VirtualService",
            { name: "workshop-stand-in", namespace },
            {
                hosts: [EXTERNAL_HOST],
                gateways: [EGRESS_ROUTE_GATEWAY],
                exportTo: ["."],
                http: [{ match: [{ port: EGRESS_GATEWAY_PORT }], route: [{ destination: { host: EXTERNAL_HOST, port: { number: EXTERNAL_PORT } } }] }],
            },
        ),
    ];
}

const EGRESS_ROUTE_GATEWAY = "workshop-egress";

/** Every object of a namespace's scenarios, plus the verification script and ServiceAccount their checks share. */
export function namespaceManifests(built: readonly BuiltScenario[], namespace: string): Manifest[] {
    const needsScript = built.some((b) => b.checks.some((c) => c.usesScript));
    const script: Manifest[] = needsScript
        ? [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: VERIFY_CONFIG_MAP, namespace }, data: { "verify.sh": VERIFY_SCRIPT } }]
        : [];
    const verifyAccount = built.some((b) => b.checks.length > 0) ? [serviceAccountManifest(VERIFY_ACCOUNT, namespace)] : [];
    return [...script, ...verifyAccount, ...handOutManifest(built, namespace), ...built.flatMap((b) => scenarioManifests(b, namespace))];
}
