/**
 * Istio, installed as code from the official charts: `base`, the CNI plugin and the Gateway
 * API's CRDs, then `istiod` (after the Istio port rules exist), in ambient mode then `ztunnel`, then the
 * ingress gateway (after istiod is ready, so its pod is injected on first start), optionally an egress
 * gateway; then the mesh-wide PeerAuthentication and Telemetry.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { systemNetworkPolicies } from "./platformIsolation";
import { networkPoliciesEnforced } from "../model/peers";
import type { IstioObject } from "../model/istioObjects";
import { egressServiceSpec, gatewayApiManifest, gatewayCertificateSpec, gatewayEndsTls, ingressServiceSpec, meshChecks, meshPeerAuthentication, meshReleases, meshTelemetry, workshopApiGateway, workshopGateway } from "./meshSpec";
import { type ReleaseSpec } from "../model/release";
import { EGRESS_NAMESPACE, GATEWAY_CERT_SECRET, GATEWAY_ROUTES_LABELS, INGRESS_NAMESPACE, INJECTION_LABELS, ISTIO_NAMESPACE } from "../model/platform";
import type { MeshSizing } from "./meshScale";
import { type IstioConfig } from "../settings/schema";
import { parseComponentSettings } from "../settings/parse";
import { lessonsPlan } from "../workshop/lessons";

export interface IstioMeshArgs {
    /** The Kubernetes provider of the cluster Istio goes to. */
    readonly provider: k8s.Provider;
    /**
     * Istio, as a stack file's `istio` section (docs/configuration.md): `version`, `mtls`,
     * `egressGateway`, `accessLogs`, `ingress`, `tracing`; every key optional, with its default.
     */
    readonly istio?: IstioConfig;
    /**
     * The cluster: `mode` `eks` (an AWS network load balancer for the gateway, NetworkPolicies
     * enforced) or `existing` (default: node ports), and its `kubernetesVersion` (default the
     * project's).
     */
    readonly cluster?: { readonly mode?: "eks" | "existing"; readonly kubernetesVersion?: string };
    /** Attendees' DNS domain (`classroom.domain`): the gateway's certificate also names `*.<domain>`. */
    readonly domain?: string;
    /** What istiod waits for (on EKS, the Istio port security-group rules); default nothing. */
    readonly portRules?: readonly pulumi.Resource[];
    /** Sidecar and istiod resources (`src/mesh/meshScale.ts`), from resolved lessons (`planLessons(...).mesh`); default sized for one namespace of the default lessons. */
    readonly sizing?: Pick<MeshSizing, "proxy" | "istiod">;
}

export class IstioMesh extends pulumi.ComponentResource {
    readonly version: pulumi.Output<string>;
    /** istiod's release: Istio objects and injected workloads depend on it. */
    readonly istiod: k8s.helm.v3.Release;
    /**
     * What the lessons' workloads wait for: istiod (it injects their sidecars), or in ambient mode ztunnel's release
     * (made after istiod: the CNI plugin hands each enrolled pod to the node's ztunnel).
     */
    readonly dataplane: k8s.helm.v3.Release;
    /** The ingress gateway's release: Gateways and routes depend on it. */
    readonly ingressGateway: k8s.helm.v3.Release;
    /** The shared Gateway (`istio-ingress/workshop-gateway`) that routes bind to: Istio's, or the Gateway API's (`istio.ingress.api`). */
    readonly gateway: k8s.apiextensions.CustomResource;
    /** The egress gateway's release and Service, when `istio.egressGateway` is on: routes through it depend on them. */
    readonly egressGateway: pulumi.Resource[];
    /**
     * The workshop CA's certificate (PEM), which signs the certificate the gateway ends TLS with,
     * and the Secret holding that certificate; undefined where the load balancer ends TLS.
     */
    readonly gatewayCa?: { readonly certificate: pulumi.Output<string>; readonly secret: k8s.core.v1.Secret };
    /** Load-balancer hostname or IP on EKS (unknown until deployed); the node ports otherwise. */
    readonly ingressAddress: pulumi.Output<string>;
    readonly checks: pulumi.Output<string[]>;

    constructor(name: string, args: IstioMeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-workshop:mesh:IstioMesh", name, {}, opts);
        const { provider } = args;
        // Validated as a stack file's sections are: a mistake names its key; what is left out takes its default.
        const settings = parseComponentSettings({ istio: args.istio, cluster: args.cluster, classroom: args.domain !== undefined ? { domain: args.domain } : undefined });
        const childOpts = (dependsOn: pulumi.Resource[]): pulumi.CustomResourceOptions => ({ parent: this, provider, dependsOn });
        const namespace = (key: string, nsName: string, labels: Record<string, string>) =>
            new k8s.core.v1.Namespace(`${name}-${key}-ns`, { metadata: { name: nsName, labels } }, childOpts([]));
        const release = (key: string, spec: ReleaseSpec, dependsOn: pulumi.Resource[]) =>
            new k8s.helm.v3.Release(`${name}-${key}`, { ...spec, createNamespace: false }, childOpts(dependsOn));
        const istioResource = (key: string, obj: IstioObject, dependsOn: pulumi.Resource[]) =>
            new k8s.apiextensions.CustomResource(`${name}-${key}`, { ...obj }, childOpts(dependsOn));

        const releases = meshReleases(settings.istio, args.sizing ?? lessonsPlan(settings).mesh);
        // With Gateway API ingress the shared Gateway accepts the exposed UIs' HTTPRoutes from here (only the platform writes here).
        const systemNs = namespace("system", ISTIO_NAMESPACE, settings.istio.ingress.api === "gateway-api" ? { ...GATEWAY_ROUTES_LABELS } : {});
        // Who may connect to the platform's pods: their own namespace and the ingress gateway; anyone to istiod's
        // mTLS ports and the trace collector. Created with the namespace, before anything runs in it.
        if (networkPoliciesEnforced(settings.cluster)) {
            for (const policy of systemNetworkPolicies()) new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.name}`, policy, childOpts([systemNs]));
        }
        const base = release("base", releases.base, [systemNs]);
        // The CNI plugin runs on every node before istiod injects a pod that relies on it.
        const cni = release("cni", releases.cni, [systemNs]);
        // The Gateway API's CRDs, which istiod watches from its start: the standard channel of the release this Istio
        // builds against, from its official manifest (the provider reads it at deploy time).
        const gatewayApi = gatewayApiManifest(settings.istio);
        const gatewayApiCrds = gatewayApi ? [new k8s.yaml.v2.ConfigFile(`${name}-gateway-api`, { file: gatewayApi }, { parent: this, provider })] : [];
        this.istiod = release("istiod", releases.istiod, [base, cni, ...gatewayApiCrds, ...(args.portRules ?? [])]);

        // ztunnel asks istiod for its certificates and configuration, so it is ready only once istiod is.
        this.dataplane = releases.ztunnel ? release("ztunnel", releases.ztunnel, [this.istiod, cni]) : this.istiod;

        const ingressNs = namespace("ingress", INGRESS_NAMESPACE, { ...INJECTION_LABELS });
        this.ingressGateway = release("ingressgateway", releases.ingress, [this.istiod, ingressNs]);
        const ingressSpec = ingressServiceSpec(settings.cluster, settings.istio);
        const ingressService = new k8s.core.v1.Service(`${name}-ingress-service`, ingressSpec, childOpts([this.ingressGateway]));

        this.egressGateway = [];
        if (releases.egress) {
            const egressNs = namespace("egress", EGRESS_NAMESPACE, { ...INJECTION_LABELS });
            const egressGateway = release("egressgateway", releases.egress, [this.istiod, egressNs]);
            this.egressGateway = [egressGateway, new k8s.core.v1.Service(`${name}-egress-service`, egressServiceSpec(), childOpts([egressGateway]))];
        }

        this.ingressAddress =
            ingressSpec.spec.type === "LoadBalancer"
                ? ingressService.status.apply((s) => s?.loadBalancer?.ingress?.[0]?.hostname ?? s?.loadBalancer?.ingress?.[0]?.ip ?? "pending")
                : pulumi.output(`any node's address, ports ${settings.istio.ingress.httpNodePort} (http) and ${settings.istio.ingress.httpsNodePort} (https)`);
        if (gatewayEndsTls(settings.istio)) {
            // Its names include the load balancer's once it has one, so that a browser trusting the workshop CA accepts the gateway's own address.
            const names = this.ingressAddress.apply((a) => gatewayCertificateSpec(settings.classroom.domain, a));
            this.gatewayCa = gatewayCertificate(`${name}-gateway`, gatewayCertificateSpec(settings.classroom.domain), names, childOpts([ingressNs]));
        }
        // The shared Gateway routes bind to: Istio's, or with Gateway API ingress the Gateway API's (on the same pods; its CRDs first).
        const apiIngress = settings.istio.ingress.api === "gateway-api";
        const shared = apiIngress ? { ...workshopApiGateway(settings.istio) } : { ...workshopGateway(settings.istio) };
        this.gateway = new k8s.apiextensions.CustomResource(`${name}-gateway`, shared, childOpts([this.ingressGateway, ...(this.gatewayCa ? [this.gatewayCa.secret] : []), ...(apiIngress ? gatewayApiCrds : [])]));
        istioResource("peer-authentication", meshPeerAuthentication(settings.istio), [this.istiod]);
        istioResource("telemetry", meshTelemetry(settings.istio), [this.istiod]);

        this.version = pulumi.output(settings.istio.version);
        this.checks = pulumi.output(meshChecks());
        this.registerOutputs({ version: this.version, ingressAddress: this.ingressAddress, checks: this.checks });
    }
}

/**
 * The workshop's CA and the gateway's certificate it signs (ECDSA P-256 keys,
 * kept in the stack's state as secrets), as the gateway's TLS Secret.
 */
function gatewayCertificate(
    name: string,
    spec: ReturnType<typeof gatewayCertificateSpec>,
    names: pulumi.Output<Pick<ReturnType<typeof gatewayCertificateSpec>, "dnsNames" | "ipAddresses">>,
    opts: pulumi.CustomResourceOptions,
) {
    const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, opts);
    const ca = new tls.SelfSignedCert(
        `${name}-ca`,
        {
            privateKeyPem: caKey.privateKeyPem,
            isCaCertificate: true,
            subject: spec.caSubject,
            validityPeriodHours: spec.validityPeriodHours,
            earlyRenewalHours: spec.earlyRenewalHours,
            allowedUses: ["cert_signing", "crl_signing"],
        },
        opts,
    );
    const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, opts);
    const request = new tls.CertRequest(`${name}-csr`, { privateKeyPem: key.privateKeyPem, subject: spec.subject, dnsNames: names.dnsNames, ipAddresses: names.ipAddresses }, opts);
    const cert = new tls.LocallySignedCert(
        `${name}-cert`,
        {
            certRequestPem: request.certRequestPem,
            caPrivateKeyPem: caKey.privateKeyPem,
            caCertPem: ca.certPem,
            validityPeriodHours: spec.validityPeriodHours,
            earlyRenewalHours: spec.earlyRenewalHours,
            allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        },
        opts,
    );
    const secret = new k8s.core.v1.Secret(
        `${name}-cert-secret`,
        {
            metadata: { name: GATEWAY_CERT_SECRET, namespace: INGRESS_NAMESPACE },
            type: "kubernetes.io/tls",
            stringData: { "tls.crt": cert.certPem, "tls.key": key.privateKeyPem },
        },
        opts,
    );
    return { certificate: ca.certPem, secret };
}
