import { DEFAULT_ISTIO_VERSION } from "../src/settings/istio";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { attackTable, attendeeJudge, isolationReport, lessonObjects } from "../src/judgement/attacks/attackSuite";
import { ATTACKS, CAPABILITIES, forIngress, type Layer } from "../src/judgement/attacks/attacks";
import { accountOf, imagePullGrant } from "../src/judgement/cloud/nodeImages";
import { needUpstream, upstreamText } from "./upstream";
import YAML from "yaml";
import type { Plan } from "../src/judgement/plan/plan";
import { securityControls } from "../src/judgement/plan/summary";
import { EKS_RAW, planIndex } from "./helpers";
import { GUARD_RAILS, admissionPolicy, admissionPolicyBinding } from "../src/classroom/admissionSpec";
import { ATTENDEE_NAMESPACE_LABEL } from "../src/model/platform";
import { atStage } from "../src/lessons/resolve";
import { buildScenario } from "../src/lessons/build";
import { bookinfo } from "../src/lessons/catalog/bookinfo";
import { DEPLOYER_USERNAME, admissionRefusals } from "../src/judgement/kubernetes/admission";

/** The layer each attack must meet first: the cluster refuses it, not our documentation. */
const EXPECTED: Readonly<Record<string, Layer>> = {
    "run a privileged pod": "Pod Security",
    "mount the node's filesystem (hostPath /)": "Pod Security",
    "share the node's network (hostNetwork: the node's IAM role)": "Pod Security",
    "see the node's processes on a chosen node (hostPID, nodeName)": "Pod Security",
    "run as root": "Pod Security",
    "add capabilities (NET_ADMIN)": "Pod Security",
    "run a pod in another attendee's namespace": "RBAC",
    "exec into another attendee's pods": "RBAC",
    "run a pod in istio-system": "RBAC",
    "read Secrets (own namespace)": "RBAC",
    "read Secrets (istio-system)": "RBAC",
    "mint a token for a ServiceAccount": "RBAC",
    "bind itself to a ClusterRole (cluster-admin)": "RBAC",
    "change its own Role": "RBAC",
    "see another attendee's namespace in Kiali (GET their Namespace with its token)": "RBAC",
    "see every namespace in Kiali (LIST namespaces with its token)": "RBAC",
    "relabel its namespace (drop Pod Security, the attendee label)": "RBAC",
    "raise its quota": "RBAC",
    "write Endpoints (point a Service anywhere, CVE-2021-25740)": "RBAC",
    "write EndpointSlices": "RBAC",
    "add an ephemeral debug container to a pod": "RBAC",
    "create or change a NetworkPolicy": "RBAC",
    "remove the admission guard rails": "RBAC",
    "change the platform's root routes (istio-ingress)": "RBAC",
    "open a LoadBalancer Service": "admission policy",
    "open a NodePort Service": "admission policy",
    "capture an address with a Service's externalIPs (CVE-2020-8554)": "admission policy",
    "create a Gateway on `*` port 443 for the shared gateway's pods": "admission policy",
    "create a Kubernetes Gateway API Gateway": "RBAC",
    "create an EnvoyFilter": "admission policy",
    "change an EnvoyFilter the stack installed (bookinfo's rate limit)": "admission policy",
    "route another namespace's host (VirtualService)": "admission policy",
    "publish Prometheus on the shared gateway (VirtualService bound to it)": "admission policy",
    'export a VirtualService to every namespace (`exportTo: "*"`)': "admission policy",
    "take another attendee's gateway paths with a delegate route": "Istio",
    "publish another attendee's internal Service under its own prefix (delegate route)": "admission policy",
    "run a pod at system-node-critical priority (it preempts the platform's pods and is evicted last)": "admission policy",
    "run a pod as the attendee's own ServiceAccount (its token lives as long as the pod, beyond the kubeconfig's)": "admission policy",
    "run a pod labelled like the shared gateway (istio: ingressgateway), to be sent its listeners and every attendee's routes": "Istio",
    "read the lessons release's record (a Secret: every value of the release) from a pod that mounts it": "admission policy",
    "run a pod whose limits exceed a node (eight containers of 2 GiB: the kernel, not the quota, would stop it)": "LimitRange",
    "fill etcd with ConfigMaps (100 of them)": "ResourceQuota",
    "claim 100 GiB of storage": "ResourceQuota",
    "load istiod with ServiceEntries (100 of them, each pushed to every proxy that imports the namespace)": "ResourceQuota",
    "load istiod with a ServiceEntry of 200 hosts (Istio's schema allows 256; the rail 8)": "admission policy",
    "load istiod with a VirtualService of 1,000 routes (at most 32)": "admission policy",
    "churn the shared controllers with a Deployment of 1,000 replicas (at most 10)": "admission policy",
    "start Jobs every minute (a CronJob that is not suspended)": "admission policy",
    "leave 10,000 finished pods (a Job of 10,000 completions; at most 10), for PodGC to delete other attendees' first": "admission policy",
    "hold the shared gateway's connections (a 60 s fault delay on a delegate route)": "admission policy",
    "multiply the shared gateway's requests (100 retries on a delegate route; at most 3)": "admission policy",
    "add a request's path as a metric tag (series without bound in the shared Prometheus)": "admission policy",
    "point a WorkloadEntry at a platform pod's address (Prometheus), to reach it through its own Service and delegate route": "admission policy",
    "relay the gateway to any address (a ServiceEntry of its own host with STATIC endpoints, exported to the gateway's namespace, for its delegate route)": "admission policy",
    "make istiod fetch keys from an in-cluster address (a RequestAuthentication's jwksUri)": "admission policy",
    "make istiod fetch keys by the issuer's discovery (a RequestAuthentication with neither jwks nor jwksUri)": "admission policy",
    "copy the gateway's requests to another attendee's Service (a delegate route's `mirrors` list)": "admission policy",
    "hijack another namespace's Service with a ServiceEntry": "admission policy",
    "redirect everyone's calls to an external host (ServiceEntry exported everywhere)": "admission policy",
    "change how the gateway reaches another namespace (DestinationRule)": "admission policy",
    "connect to another attendee's pods": "NetworkPolicy",
    "query Prometheus directly (its API, port 9090)": "NetworkPolicy",
    "reach Kiali directly (its token login, port 20001)": "NetworkPolicy",
    "read every trace from Jaeger's query API": "NetworkPolicy",
    "send spans to Jaeger over OTLP/HTTP (4318: no proxy sends there)": "NetworkPolicy",
    "read the mesh's configuration from istiod's plaintext port (15010)": "NetworkPolicy",
    "send traffic out of the cluster from a pod (the internet, a private address, the node's instance metadata)": "NetworkPolicy",
    "call a node's kubelet (10250) from a pod": "NetworkPolicy",
    'overwrite another attendee\'s series in the shared Prometheus (its target\'s metrics carry namespace="<victim>")': "Prometheus",
    "send Prometheus's scrape elsewhere (its target answers with a redirect to a platform address)": "Prometheus",
    "exhaust the shared Prometheus (a target of a million series)": "Prometheus",
    "answer every pod's lookups of an outside host (a Service named github in a namespace named com)": "settings",
    "pull a private image of the stack's AWS account (a pod naming it: the kubelet pulls with the node's role)": "IAM",
    "read the shared gateway's statistics (every attendee's routes, port 15090)": "NetworkPolicy",
    // With Istio's ingress API an attendee writes no HTTPRoute at all.
    "take another attendee's gateway paths with an HTTPRoute on the shared Gateway": "RBAC",
    "take another attendee's host with an HTTPRoute (hostnames)": "RBAC",
    "take every path no one else routes with an HTTPRoute without matches (the CRD's default: the prefix /)": "RBAC",
    "publish another attendee's internal Service under its own path (an HTTPRoute's backend in their namespace)": "RBAC",
    "copy the gateway's requests to another attendee's Service (an HTTPRoute's RequestMirror)": "RBAC",
    "send the class's requests to an outside site (an HTTPRoute's RequestRedirect to another host)": "RBAC",
    "route another attendee's Service inside the mesh (an HTTPRoute whose parent is their Service)": "RBAC",
    "open its Services to another namespace's routes (a ReferenceGrant)": "RBAC",
};

/**
 * With Gateway API ingress (`istio.ingress.api: gateway-api`) the layers that differ: attendees write HTTPRoutes, so
 * the admission rule on them refuses what RBAC refused; their delegate routes have no root route to be merged by.
 */
const EXPECTED_GATEWAY_API: Readonly<Record<string, Layer>> = {
    ...EXPECTED,
    "take another attendee's gateway paths with an HTTPRoute on the shared Gateway": "admission policy",
    "take another attendee's host with an HTTPRoute (hostnames)": "admission policy",
    "take every path no one else routes with an HTTPRoute without matches (the CRD's default: the prefix /)": "admission policy",
    "publish another attendee's internal Service under its own path (an HTTPRoute's backend in their namespace)": "admission policy",
    "copy the gateway's requests to another attendee's Service (an HTTPRoute's RequestMirror)": "admission policy",
    "send the class's requests to an outside site (an HTTPRoute's RequestRedirect to another host)": "admission policy",
    "route another attendee's Service inside the mesh (an HTTPRoute whose parent is their Service)": "admission policy",
    "publish another attendee's internal Service under its own prefix (delegate route)": "admission policy",
};

/** The attacks on a sidecar classroom (ambient mode's are judged in `test/waypoint.spec.ts`). */
const SIDECAR_ATTACKS = ATTACKS.filter((a) => a.dataplane !== "ambient");

describe("attack suite: an attendee's credentials against the planned classroom", () => {
    let plan: Plan;
    before(async () => {
        plan = await planIndex({ ...EKS_RAW, attendees: ["ana", "ben"] });
    });

    it("refuses every attack, each at the layer meant to refuse it", () => {
        const judge = attendeeJudge(plan, "ana");
        assert.deepEqual(
            SIDECAR_ATTACKS.map((a) => [a.what, judge(a.attempt("ana", "ben", "/ana")).layer]),
            SIDECAR_ATTACKS.map((a) => [a.what, EXPECTED[a.what]]),
        );
    });

    it("admits what an attendee is there to do, and every manifest of their lessons", () => {
        const judge = attendeeJudge(plan, "ana");
        for (const c of forIngress(CAPABILITIES, "istio")) assert.equal(judge(c.attempt("ana", "ben", "/ana")).layer, "admitted", c.what);
        const lessons = lessonObjects(plan, "ana");
        assert.ok(lessons.length > 50, `${lessons.length} lesson objects`);
        assert.deepEqual(
            lessons.map((o) => [`${o.kind} ${o.metadata.name}`, judge({ verb: "create", object: o }).layer]).filter(([, l]) => l !== "admitted"),
            [],
        );
        assert.deepEqual(isolationReport(plan).problems, []);
    });

    it("a demo stack (no attendees) has no attendee namespaces to judge, and no guard rails bound", async () => {
        const demo = await planIndex(EKS_RAW);
        assert.deepEqual(isolationReport(demo), { problems: [], warnings: [], refused: {}, allowed: 0, attacks: 0, lessons: 0 });
    });

    it("the EnvoyFilter rail judges attendees' requests (service accounts), not the stack's: its rate-limit filter is admitted, the same object from an attendee is not", () => {
        const filter = buildScenario(atStage(bookinfo(), "rate-limit"), { namespace: "ana", verify: true, requests: 100 }).policies.find((p) => p.kind === "EnvoyFilter");
        assert.ok(filter);
        const policies = GUARD_RAILS.map(admissionPolicy);
        const bindings = GUARD_RAILS.map(admissionPolicyBinding);
        const as = (username: string) => admissionRefusals(policies, bindings, { object: filter, namespaceLabels: { [ATTENDEE_NAMESPACE_LABEL]: "true" }, username }).map((r) => r.policy);
        assert.deepEqual(as(DEPLOYER_USERNAME), []);
        assert.deepEqual(as("system:serviceaccount:ana:attendee"), ["istio-workshop-attendee-no-envoyfilters"]);
        assert.deepEqual(as("system:serviceaccount:ana:someone-else"), ["istio-workshop-attendee-no-envoyfilters"]);
        // Without its match condition the rail would refuse the stack too, and the plan would say so.
        const unconditional = policies.map((p) => ({ ...p, spec: { ...p.spec, matchConditions: undefined } }));
        assert.equal(admissionRefusals(unconditional, bindings, { object: filter, namespaceLabels: { [ATTENDEE_NAMESPACE_LABEL]: "true" }, username: DEPLOYER_USERNAME }).length, 1);
    });

    it("names the escape when a control is missing: no Pod Security label, no guard rails, Endpoints granted", () => {
        const copy: Plan = JSON.parse(JSON.stringify(plan));
        const weakened: Plan = { ...copy, resources: copy.resources.filter((r) => !r.type.includes("ValidatingAdmissionPolicy")) };
        for (const r of weakened.resources) {
            const o = r.inputs as any;
            if (o.kind === "Namespace" && o.metadata.name === "ana") delete o.metadata.labels["pod-security.kubernetes.io/enforce"];
            if (o.kind === "Role" && o.metadata.namespace === "ana") o.rules.push({ apiGroups: [""], resources: ["endpoints"], verbs: ["create"] });
        }
        const escapes = isolationReport(weakened).problems.filter((p) => p.startsWith("AttendeeEscape"));
        assert.ok(escapes.some((p) => p.includes("run a privileged pod")));
        assert.ok(escapes.some((p) => p.includes("create an EnvoyFilter")));
        assert.ok(escapes.some((p) => p.includes("write Endpoints")));
        // 6 Pod Security, 29 guard rails but two (Gateways and WorkloadEntries, which a zero quota refuses as well), Endpoints.
        assert.equal(escapes.length, 6 + 27 + 1);
    });

    it("names the workloads whose pods the LimitRange would refuse, sidecar included (as the real control plane refused them under a CPU ceiling per pod)", () => {
        assert.deepEqual(isolationReport(plan).problems, []);
        const withCeiling = (max: Record<string, string>): Plan => {
            const copy: Plan = JSON.parse(JSON.stringify(plan));
            for (const r of copy.resources) {
                const o = r.inputs as any;
                if (o.kind === "LimitRange" && o.metadata.namespace === "ana") o.spec.limits = [...o.spec.limits.filter((l: any) => l.type !== "Pod"), { type: "Pod", max }];
            }
            return copy;
        };
        // A CPU ceiling of 1400m: every container's CPU limit defaults to the container maximum, 2.
        const cpu = isolationReport(withCeiling({ cpu: "1400m" })).problems;
        assert.ok(cpu.length > 0 && cpu.every((p) => /AttendeeBlocked: .*LimitRange \(maximum cpu usage per Pod is 1400m/.test(p)), cpu.join("\n"));
        assert.ok(cpu.some((p) => p.startsWith("AttendeeBlocked: the pods of Deployment ana/productpage-v1")));
        // Productpage asks for 256Mi at most; with its sidecar's limit added, a pod of 512Mi is too small.
        const memory = isolationReport(withCeiling({ memory: "512Mi" })).problems;
        assert.ok(memory.some((p) => p.includes("Deployment ana/productpage-v1") && p.includes("maximum memory usage per Pod is 512Mi")), memory.join("\n"));
    });

    it("holds the nodes' image pulls to the stack's: AWS's read-only ECR policy on the node role would let any pod pull the account's private images", () => {
        const pull = ATTACKS.find((a) => a.what.startsWith("pull a private image"))!;
        assert.equal(attendeeJudge(plan, "ana")(pull.attempt("ana", "ben", "/ana")).layer, "IAM");
        const copy: Plan = JSON.parse(JSON.stringify(plan));
        const role = copy.resources.find((r) => r.name.endsWith("-node-role"))!;
        const prefix = role.name.slice(0, -"-node-role".length);
        copy.resources.push({ ...role, type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: `${prefix}-node-ecr`, urn: `${role.urn}-ecr`, inputs: { role: "x", policyArn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly" } });
        assert.deepEqual(attendeeJudge(copy, "ana")(pull.attempt("ana", "ben", "/ana")), { layer: "admitted", reason: "the node role may pull it: arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly" });
        // A managed policy the evaluator does not know is taken as granting, never as a refusal.
        const unknown: Plan = JSON.parse(JSON.stringify(copy));
        (unknown.resources.at(-1)!.inputs as any).policyArn = "arn:aws:iam::aws:policy/SomethingElse";
        assert.match(attendeeJudge(unknown, "ana")(pull.attempt("ana", "ben", "/ana")).reason, /not modelled: taken as granting/);
        // The stack's own cache repositories stay pullable.
        assert.equal(imagePullGrant(plan, "eu-west-1", accountOf(plan)!, "private/payroll"), undefined);
        assert.equal(imagePullGrant(plan, "eu-west-1", "602401143452", "amazon-k8s-cni"), `${prefix}-node-image-pulls (OtherAccounts)`);
    });

    it("refuses every attack and reports no escape in domain mode too (routes by host, not by path)", async () => {
        const byHost = await planIndex({ ...EKS_RAW, attendees: ["ana", "ben"], classroom: { domain: "workshop.example.com" } });
        const report = isolationReport(byHost);
        assert.deepEqual(report.problems, []);
        assert.equal(Object.values(report.refused).reduce((a, b) => a + b, 0), SIDECAR_ATTACKS.length);
    });

    it("names the escape of a fake gateway pod where istiod does not scope Gateways to their namespace (Istio's default)", () => {
        const fake = ATTACKS.find((a) => a.what.startsWith("run a pod labelled like the shared gateway"))!;
        const copy: Plan = JSON.parse(JSON.stringify(plan));
        const istiod = copy.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "istiod")!;
        delete (istiod.inputs as any).values.pilot.env.PILOT_SCOPE_GATEWAY_TO_NAMESPACE;
        assert.match(attendeeJudge(copy, "ana")(fake.attempt("ana", "ben", "/ana")).reason, /^Gateway istio-ingress\/workshop-gateway selects it/);
    });

    it("names each Prometheus escape under the chart's own scrape jobs (every pod trusted alike): labels, redirects, unbounded series", function () {
        needUpstream(this);
        const chart = YAML.parse(upstreamText("chart-values/prometheus-community/prometheus-27.42.2/values.yaml")).serverFiles["prometheus.yml"].scrape_configs;
        const copy: Plan = JSON.parse(JSON.stringify(plan));
        const prometheus = copy.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "prometheus")!;
        (prometheus.inputs as any).values.serverFiles["prometheus.yml"].scrape_configs = chart;
        const judge = attendeeJudge(copy, "ana");
        const verdicts = ATTACKS.filter((a) => "scrape" in a.attempt("ana", "ben", "/ana")).map((a) => judge(a.attempt("ana", "ben", "/ana")).reason);
        assert.deepEqual(verdicts, [
            "job kubernetes-pods scrapes the namespace's pods with honor_labels: true (the target's labels win)",
            "job kubernetes-pods scrapes the namespace's pods with follow_redirects on (Prometheus's default)",
            "job kubernetes-pods scrapes the namespace's pods with no sample_limit",
        ]);
    });

    it("names the escape of an attendee namespace named like a top-level domain (a plan the settings would have refused)", () => {
        const claim = ATTACKS.find((a) => a.what.startsWith("answer every pod's lookups"))!;
        assert.equal(attendeeJudge(plan, "ana")(claim.attempt("ana", "ben", "/ana")).layer, "settings");
        const copy: Plan = JSON.parse(JSON.stringify(plan));
        for (const r of copy.resources) if ((r.inputs as any).kind === "Namespace" && (r.inputs as any).metadata.name === "ben") (r.inputs as any).metadata.name = "com";
        assert.deepEqual(attendeeJudge(copy, "ana")(claim.attempt("ana", "com", "/ana")), { layer: "admitted", reason: "namespace com is named like a top-level domain: its Service github answers github.com" });
    });

    it("where the CNI enforces no NetworkPolicy (kind without a policy engine), the mesh still refuses another attendee's connection", () => {
        const copy: Plan = JSON.parse(JSON.stringify(plan));
        const noNetworkPolicies: Plan = { ...copy, resources: copy.resources.filter((r) => (r.inputs as any).kind !== "NetworkPolicy") };
        const judge = attendeeJudge(noNetworkPolicies, "ana");
        const other = ATTACKS.find((a) => a.what === "connect to another attendee's pods")!;
        assert.deepEqual(judge(other.attempt("ana", "ben", "/ana")), {
            layer: "AuthorizationPolicy",
            reason: "AuthorizationPolicy ben/attendee-isolation denies cluster.local/ns/ana/sa/default",
        });
        const own = CAPABILITIES.find((a) => a.what === "connect to its own pods")!;
        assert.equal(judge(own.attempt("ana", "ben", "/ana")).layer, "admitted");
    });

    it("on an existing cluster (no NetworkPolicies), the mesh refuses another attendee and the plan names what stays open", async () => {
        const local = await planIndex({ cluster: { mode: "existing", context: "kind-istio-workshop" }, attendees: ["ana", "ben"] });
        assert.equal(local.resources.filter((r) => (r.inputs as any).kind === "NetworkPolicy").length, 0);
        const report = isolationReport(local);
        assert.deepEqual(report.problems, []);
        assert.equal(report.refused.AuthorizationPolicy, 1);
        assert.deepEqual(report.warnings, [
            "on this existing cluster (no NetworkPolicies) an attendee can query Prometheus directly (its API, port 9090)",
            "on this existing cluster (no NetworkPolicies) an attendee can reach Kiali directly (its token login, port 20001)",
            "on this existing cluster (no NetworkPolicies) an attendee can read every trace from Jaeger's query API",
            "on this existing cluster (no NetworkPolicies) an attendee can send spans to Jaeger over OTLP/HTTP (4318: no proxy sends there)",
            "on this existing cluster (no NetworkPolicies) an attendee can read the mesh's configuration from istiod's plaintext port (15010)",
            "on this existing cluster (no NetworkPolicies) an attendee can send traffic out of the cluster from a pod (the internet, a private address, the node's instance metadata)",
            "on this existing cluster (no NetworkPolicies) an attendee can call a node's kubelet (10250) from a pod",
            "on this existing cluster the nodes' registry credentials are the cluster's own (the stack gives its nodes none): whether an attendee can pull a private image of the stack's AWS account (a pod naming it: the kubelet pulls with the node's role) is not known",
            "on this existing cluster (no NetworkPolicies) an attendee can read the shared gateway's statistics (every attendee's routes, port 15090)",
        ]);
    });

    it("the table of docs/security.md is the suite's, as `npm run attacks` prints it", () => {
        const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "security.md"), "utf8");
        assert.ok(doc.includes(attackTable(plan, "ana", "ben")), "docs/security.md's table differs from `npm run attacks -- --stack workshop`");
    });
});

describe("the plan's security controls", () => {
    it("lists, for a classroom, every control the cluster enforces, counted from the plan", async () => {
        const plan = await planIndex({ ...EKS_RAW, attendees: ["ana", "ben"] });
        assert.deepEqual(securityControls(plan), [
            "Security controls:",
            "  Pod Security restricted (v1.35): 2 namespaces",
            `  Istio CNI plugin: istio-system/istio-cni (chart cni ${DEFAULT_ISTIO_VERSION})`,
            "  Admission policies: istio-workshop-attendee-httproutes, istio-workshop-attendee-jobs, istio-workshop-attendee-jwt-keys-inline, istio-workshop-attendee-no-envoyfilters, istio-workshop-attendee-no-gateways, istio-workshop-attendee-no-workload-entries, istio-workshop-attendee-pods, istio-workshop-attendee-replicas, istio-workshop-attendee-route-load, istio-workshop-attendee-routing, istio-workshop-attendee-services, istio-workshop-attendee-telemetry; 12 bindings to namespaces labelled istio-workshop/attendee=true",
            "  Sidecars: 2 × default",
            "  NetworkPolicies: 2 × attendee-isolation, 1 × open-collector, 1 × open-istiod, 1 × platform-default",
            "  AuthorizationPolicies: 2 × attendee-isolation",
            "  Gateway routes: 2 platform root routes handing over to 4 delegate VirtualServices",
        ]);
    });
});

describe("attack suite: a classroom with Gateway API ingress, on a path prefix and on a domain", () => {
    for (const [mode, extra, base] of [["path prefix", {}, "/ana"], ["domain", { classroom: { domain: "workshop.example.com" } }, ""]] as const) {
        it(`${mode}: refuses every attack at its layer, admits the attendee's HTTPRoutes and lessons, and the plan's isolation check holds`, async () => {
            const plan = await planIndex({ ...EKS_RAW, attendees: ["ana", "ben"], istio: { ingress: { api: "gateway-api" } }, apps: { myApp: { stage: "tls" } }, ...extra });
            const judge = attendeeJudge(plan, "ana");
            assert.deepEqual(
                SIDECAR_ATTACKS.map((a) => [a.what, judge(a.attempt("ana", "ben", base)).layer]),
                SIDECAR_ATTACKS.map((a) => [a.what, EXPECTED_GATEWAY_API[a.what]]),
            );
            for (const c of forIngress(CAPABILITIES, "gateway-api")) assert.equal(judge(c.attempt("ana", "ben", base)).layer, "admitted", c.what);
            // The attendee's own HTTPRoutes (bookinfo's, myApp's on both listeners), as the stack writes them, pass the rail.
            const routes = lessonObjects(plan, "ana").filter((o) => o.kind === "HTTPRoute");
            assert.deepEqual(routes.map((o) => o.metadata.name).sort(), ["bookinfo-gateway", "my-app-gateway-443", "my-app-gateway-80"]);
            const report = isolationReport(plan);
            assert.deepEqual(report.problems, []);
            assert.equal(report.attacks, forIngress(ATTACKS, "gateway-api").length);
        });
    }
});
