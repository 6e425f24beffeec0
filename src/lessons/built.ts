/**
 * A lesson as built: its objects, grouped by what they are, before they become the
 * manifests of a namespace's lessons release.
 */
import type { GatewayApiObject } from "../model/gatewayApiObjects";
import type { types } from "@pulumi/kubernetes";
import { type IstioObject } from "../model/istioObjects";

export type DeploymentArgs = types.input.apps.v1.Deployment;

export interface BuiltCheck {
    readonly name: string;
    readonly job: types.input.batch.v1.Job;
    /** Runs the namespace's verification script (mounted from its ConfigMap). */
    readonly usesScript: boolean;
}

export interface Named<T> {
    readonly name: string;
    readonly spec: T;
}

export interface BuiltScenario {
    readonly name: string;
    /** The ServiceAccounts the scenario's Deployments run as. */
    readonly serviceAccounts: string[];
    readonly configMaps: Named<types.input.core.v1.ConfigMap>[];
    /** Deployments, with the ConfigMap each mounts. */
    readonly deployments: (Named<DeploymentArgs> & { readonly configMap?: string })[];
    readonly services: Named<types.input.core.v1.Service>[];
    readonly destinationRules: IstioObject<"DestinationRule">[];
    /** VirtualServices with the routing host they implement (`gateway` for gateway routes, unless they are HTTPRoutes). */
    readonly virtualServices: { readonly host: string; readonly object: IstioObject<"VirtualService"> }[];
    /**
     * The Gateway API's objects: the gateway routes as HTTPRoutes with Gateway API ingress (`istio.ingress.api:
     * gateway-api`); an ambient lesson's Service routes and its waypoint.
     */
    readonly gatewayApi: GatewayApiObject[];
    /** The stage's policies: AuthorizationPolicies, PeerAuthentications, ServiceEntries, an outbound Sidecar. */
    readonly policies: IstioObject[];
    readonly checks: BuiltCheck[];
    /** Hands-on: the stack installs no routing object; the attendee applies these, stage by stage. */
    readonly handOut?: readonly HandOutStage[];
}

/** One stage of a lesson as the attendee applies it. */
export interface HandOutStage {
    readonly lesson: string;
    readonly stage: string;
    readonly summary: string;
    readonly note?: string;
    readonly objects: readonly Manifest[];
}

// As the manifests of the namespace's lessons release
export type Manifest = { apiVersion: string; kind: string; metadata: Record<string, any>; [k: string]: unknown };
