/**
 * Istio's ambient Getting Started, stage by stage, on bookinfo: the Gateway API's ingress, the namespace's pods in
 * ambient mode, an L4 AuthorizationPolicy ztunnel enforces, a waypoint, an L7 policy the waypoint enforces, and
 * reviews shifted 90/10 with HTTPRoute weights.
 */
import { GATEWAY_HOST, type PolicyDef, type RoutingDef, type ScenarioDef, type StageCheckDef } from "../model";
import { GATEWAY_URL, curlClient, http, service, staged, type CatalogContext } from "./common";
import { bookinfo } from "./bookinfo";
import { LESSON_LABEL } from "../handOut";
import { INGRESS_GATEWAY, INGRESS_NAMESPACE, WAYPOINT } from "../../model/platform";

const PRODUCTPAGE = "http://productpage:9080/productpage";
const PAGE = "Simple Bookstore App";

/** The shared ingress gateway's identity (its chart's ServiceAccount, named for the release): the caller the L4 policy admits. */
const GATEWAY_ACCOUNT = `${INGRESS_NAMESPACE}/${INGRESS_GATEWAY.release}`;

/** The Getting Started's own client, whose identity the L7 policy admits (Istio's `samples/curl`). */
const CURL = "curl";

/** A check of productpage from the checks' own caller (in the mesh), or from one outside it, by what it answers. */
function productpage(name: string, answer: "page" | "000" | "403" | "503", describes: string, o: Pick<StageCheckDef, "withoutSidecar" | "serviceAccount"> = {}): StageCheckDef {
    const outcome = answer === "page" ? { name: "page", contains: PAGE, share: 1 } : { name: answer === "000" ? "reset" : `refused-${answer}`, contains: `@status=${answer}`, share: 1 };
    return { name, url: PRODUCTPAGE, ...o, ...(answer === "page" ? {} : { readyStatus: answer }), outcomes: [outcome], describes };
}

export function ambient(ctx: CatalogContext): ScenarioDef {
    const book = bookinfo();
    const gateway: RoutingDef = { ...book.routing.find((r) => r.host === GATEWAY_HOST)!, origin: "catalog: ambient gateway" };
    const label = { [LESSON_LABEL]: "ambient" };
    const strict: PolicyDef = { kind: "PeerAuthentication", name: "ambient-strict", selector: label, mode: "STRICT" };
    const l4 = (accounts: string[]): PolicyDef => ({ kind: "AuthorizationPolicy", name: "productpage-ztunnel", selector: { app: "productpage" }, rules: [{ fromServiceAccounts: accounts }] });
    const l7: PolicyDef = { kind: "AuthorizationPolicy", name: "productpage-waypoint", targetService: "productpage", rules: [{ fromServiceAccounts: [CURL], methods: ["GET"] }] };
    const outside = (answered: boolean) =>
        productpage("productpage-from-outside", answered ? "page" : "000", answered ? "a client outside the mesh (plaintext) is answered" : "a client outside the mesh (plaintext) is refused: ztunnel resets the connection (PeerAuthentication STRICT)", { withoutSidecar: true });
    const fromMesh = productpage("productpage-from-mesh", "page", "a client in the mesh is answered, ztunnel carrying the call over mutual TLS (HBONE)");
    const l7Checks = [
        productpage("productpage-get-as-curl", "page", "GET from the curl client's identity passes the waypoint's L7 policy", { serviceAccount: CURL }),
        productpage("productpage-as-other", "403", "a caller the waypoint's L7 policy does not name is refused 403 by the waypoint"),
    ];
    const l7Policies = [strict, l4([GATEWAY_ACCOUNT, WAYPOINT.name]), l7];
    return {
        name: "ambient",
        dataplane: "ambient",
        workloads: [...book.workloads.map((w) => ({ ...w, labels: { ...w.labels, ...label } })), curlClient(CURL, [], ctx)],
        // bookinfo's Services and its per-version ones (Istio's bookinfo-versions.yaml), which HTTPRoute weights send to.
        services: [...book.services, ...["v1", "v2", "v3"].map((v) => service(`reviews-${v}`, { app: "reviews", version: v }, http(9080)))],
        subsets: { reviews: book.subsets.reviews },
        ...staged(
            [
                {
                    name: "ingress",
                    summary: "bookinfo behind the Gateway API's ingress, outside the mesh: its pods opt out of ambient (istio.io/dataplane-mode: none)",
                    routing: [gateway],
                    withoutSidecars: true,
                    checks: [outside(true)],
                },
                {
                    name: "enrolled",
                    summary: "bookinfo in ambient mode: ztunnel carries every call over mutual TLS, no sidecars; STRICT shows it, refusing a client outside the mesh",
                    routing: [gateway],
                    policies: [strict],
                    checks: [outside(false), fromMesh],
                },
                {
                    name: "l4-authz",
                    summary: "an L4 AuthorizationPolicy ztunnel enforces: productpage admits the ingress gateway's identity only, and resets other callers",
                    routing: [gateway],
                    policies: [strict, l4([GATEWAY_ACCOUNT])],
                    checks: [productpage("productpage-l4-refused", "000", "a caller the L4 policy does not name is refused: ztunnel resets the connection")],
                },
                {
                    name: "waypoint",
                    summary: "a waypoint for bookinfo's Services (istio.io/use-waypoint): in-mesh calls now reach productpage from the waypoint's identity, which the L4 policy does not admit, so the waypoint answers 503",
                    routing: [gateway],
                    waypoint: true,
                    policies: [strict, l4([GATEWAY_ACCOUNT])],
                    checks: [productpage("productpage-via-waypoint", "503", "a call through the waypoint is refused at L4 (the waypoint's identity is not admitted): the waypoint answers 503")],
                },
                {
                    name: "l7-authz",
                    summary: "the L4 policy admits the waypoint, and an L7 AuthorizationPolicy on productpage's waypoint (targetRefs) admits GET from the curl client only",
                    routing: [gateway],
                    waypoint: true,
                    policies: l7Policies,
                    checks: l7Checks,
                },
                {
                    name: "traffic-shift",
                    summary: "reviews shifted 90/10 between v1 and v2 by an HTTPRoute on the reviews Service, which the waypoint carries out",
                    routing: [gateway, { host: "reviews", origin: "catalog: ambient reviews", rules: [{ weights: { v1: 90, v2: 10 } }] }],
                    waypoint: true,
                    policies: l7Policies,
                    checks: l7Checks,
                },
            ],
            "traffic-shift",
        ),
        probes: book.probes,
        // Through the gateway: the one caller every stage admits.
        traffic: [`${GATEWAY_URL}/productpage`],
    };
}
