/**
 * A lesson's gateway routes as the Kubernetes Gateway API writes them (`istio.ingress.api: gateway-api`):
 * HTTPRoutes in the lesson's namespace attached to the shared `Gateway`, one per listener its rules need (a rule
 * matching a port serves that listener only, one without serves every listener), carrying what the lesson's
 * VirtualService carries: paths, headers, redirects, the attendee's prefix rewritten away, the backend Service.
 */
import { GATEWAY_LISTENERS, WAYPOINT, WORKSHOP_GATEWAY } from "../model/platform";
import { gatewayApiObject, type GatewayApiObject, type HttpRouteFilter, type HttpRouteMatch, type HttpRouteRule } from "../model/gatewayApiObjects";
import type { RouteRuleDef, RoutingDef, ScenarioDef } from "./model";
import { gatewayRouteName, type GatewayPlacement } from "./resolve";
import { REDIRECT_STATUS, uriMatch } from "./routing";

/** The listener of the shared Gateway a port is served on. */
function listenerOf(port: number): string {
    const l = GATEWAY_LISTENERS.find((x) => x.port === port);
    if (!l) throw new Error(`a gateway route matches port ${port}, which no listener of the shared Gateway serves (${GATEWAY_LISTENERS.map((x) => x.port).join(", ")})`);
    return l.name;
}

/** A rule's match (its path under the attendee's prefix `outer`, its headers) as an HTTPRoute rule's `matches`; none: every request. */
function apiMatches(rule: RouteRuleDef, outer: string): Pick<HttpRouteRule, "matches"> {
    const uri = uriMatch(rule.match, outer);
    // Istio drops a prefix's trailing slash (a path prefix is matched element by element).
    const path: HttpRouteMatch["path"] =
        uri === undefined ? undefined : "exact" in uri ? { type: "Exact", value: uri.exact } : { type: "PathPrefix", value: uri.prefix === "/" ? "/" : uri.prefix.replace(/\/$/, "") };
    const headers = Object.entries(rule.match?.headers ?? {}).map(([name, value]) => ({ type: "Exact" as const, name, value }));
    const match: HttpRouteMatch = { ...(path ? { path } : {}), ...(headers.length > 0 ? { headers } : {}) };
    return Object.keys(match).length > 0 ? { matches: [match] } : {};
}

/** One rule of a lesson's gateway routes as an HTTPRoute rule. */
function apiRule(rule: RouteRuleDef, index: number, s: ScenarioDef, placement: GatewayPlacement): HttpRouteRule {
    const unsupported = (["weights", "fault", "timeout", "retries", "mirror"] as const).filter((k) => rule[k] !== undefined);
    if (unsupported.length > 0 || rule.match?.sourceLabels) throw new Error(`${s.name}: a gateway rule with ${[...unsupported, ...(rule.match?.sourceLabels ? ["sourceLabels"] : [])].join(", ")} has no Gateway API form here`);
    const outer = placement.prefix ?? "";
    const matches = apiMatches(rule, outer);
    const name = `rule-${index + 1}`;
    if (rule.redirect) {
        return { name, ...matches, filters: [{ type: "RequestRedirect", requestRedirect: { scheme: rule.redirect.scheme, port: rule.redirect.port, statusCode: REDIRECT_STATUS } }] };
    }
    const to = rule.to;
    const port = s.services.find((svc) => svc.name === to)?.ports[0]?.port;
    if (to === undefined || port === undefined) throw new Error(`${s.name}: a gateway rule names no Service of the lesson to send to`);
    const rewrite: HttpRouteFilter[] =
        outer === ""
            ? []
            : [{ type: "URLRewrite", urlRewrite: { path: rule.match?.exact !== undefined ? { type: "ReplaceFullPath", replaceFullPath: rule.match.exact } : { type: "ReplacePrefixMatch", replacePrefixMatch: rule.match?.prefix ?? "/" } } }];
    return { name, ...matches, ...(rewrite.length > 0 ? { filters: rewrite } : {}), backendRefs: [{ name: to, port }] };
}

/** A lesson's gateway routes as HTTPRoutes: `<lesson>-gateway` for every listener, `<lesson>-gateway-<port>` for one. */
export function gatewayHttpRoutes(r: RoutingDef, s: ScenarioDef, namespace: string, placement: GatewayPlacement = {}): GatewayApiObject<"HTTPRoute">[] {
    const byPort = new Map<number | undefined, HttpRouteRule[]>();
    r.rules.forEach((rule, i) => byPort.set(rule.match?.port, [...(byPort.get(rule.match?.port) ?? []), apiRule(rule, i, s, placement)]));
    return [...byPort.entries()].map(([port, rules]) =>
        gatewayApiObject(
            "HTTPRoute",
            { name: port === undefined ? gatewayRouteName(s) : `${gatewayRouteName(s)}-${port}`, namespace },
            {
                parentRefs: [{ name: WORKSHOP_GATEWAY.name, namespace: WORKSHOP_GATEWAY.namespace, ...(port === undefined ? {} : { sectionName: listenerOf(port) }) }],
                ...(placement.host !== undefined ? { hostnames: [placement.host] } : {}),
                rules,
            },
        ),
    );
}

/**
 * An ambient lesson's routes of one of its Services, as its waypoint reads them: an HTTPRoute whose parent is the
 * Service, each rule's weights sent to the per-version Services `<host>-<subset>` (Istio's `bookinfo-versions.yaml`),
 * a rule without weights to the Service itself (or the one it names with `to`).
 */
export function serviceHttpRoute(r: RoutingDef, s: ScenarioDef, namespace: string): GatewayApiObject<"HTTPRoute"> {
    const port = s.services.find((x) => x.name === r.host)?.ports[0]?.port;
    if (port === undefined) throw new Error(`${s.name}: routes for ${r.host}, which is not a Service of the lesson`);
    const rules = r.rules.map((rule, i): HttpRouteRule => {
        const unsupported = (["fault", "timeout", "retries", "mirror", "redirect"] as const).filter((k) => rule[k] !== undefined);
        if (unsupported.length > 0 || rule.match?.sourceLabels) throw new Error(`${s.name}: a route for ${r.host} with ${[...unsupported, ...(rule.match?.sourceLabels ? ["sourceLabels"] : [])].join(", ")} has no waypoint form here`);
        const to = rule.to ?? r.host;
        const toPort = s.services.find((x) => x.name === to)?.ports[0]?.port ?? port;
        const weights = Object.entries(rule.weights ?? {});
        const backendRefs = weights.length === 0 ? [{ name: to, port: toPort }] : weights.map(([subset, weight]) => ({ name: `${to}-${subset}`, port: toPort, weight }));
        return { name: `rule-${i + 1}`, ...apiMatches(rule, ""), backendRefs };
    });
    return gatewayApiObject("HTTPRoute", { name: r.host, namespace }, { parentRefs: [{ group: "", kind: "Service", name: r.host, port }], rules });
}

/** An ambient lesson's waypoint: the Gateway istiod deploys a waypoint proxy for (`WAYPOINT`). */
export function waypointGateway(namespace: string): GatewayApiObject<"Gateway"> {
    return gatewayApiObject("Gateway", { name: WAYPOINT.name, namespace }, { gatewayClassName: WAYPOINT.className, listeners: [{ ...WAYPOINT.listener }] });
}
