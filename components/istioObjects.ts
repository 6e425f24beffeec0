/**
 * Istio objects as typed values, checked against Istio's own CRD schemas
 * (`@kubernetes-models/istio`) before anything is registered: a wrong type or an
 * unknown enum value is an error at plan time, not a failed apply.
 *
 * The schema package ships networking and PeerAuthentication at v1beta1 and
 * Telemetry at v1alpha1; their specs are the same as v1's, which is the version
 * emitted here (served by every supported Istio release). The schemas check
 * types, required fields and enum values; they do not reject unknown fields.
 */
import { DestinationRule, type IDestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule";
import { Gateway, type IGateway } from "@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway";
import { type IVirtualService, VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService";
import { type IPeerAuthentication, PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication";
import { type ITelemetry, Telemetry } from "@kubernetes-models/istio/telemetry.istio.io/v1alpha1/Telemetry";

interface Specs {
    Gateway: NonNullable<IGateway["spec"]>;
    VirtualService: NonNullable<IVirtualService["spec"]>;
    DestinationRule: NonNullable<IDestinationRule["spec"]>;
    PeerAuthentication: NonNullable<IPeerAuthentication["spec"]>;
    Telemetry: NonNullable<ITelemetry["spec"]>;
}
export type IstioKind = keyof Specs;

interface Validator {
    validate(): void;
}
const MODELS: { [K in IstioKind]: { apiVersion: string; model: new (data: any) => Validator } } = {
    Gateway: { apiVersion: "networking.istio.io/v1", model: Gateway },
    VirtualService: { apiVersion: "networking.istio.io/v1", model: VirtualService },
    DestinationRule: { apiVersion: "networking.istio.io/v1", model: DestinationRule },
    PeerAuthentication: { apiVersion: "security.istio.io/v1", model: PeerAuthentication },
    Telemetry: { apiVersion: "telemetry.istio.io/v1", model: Telemetry },
};

export interface ObjectMeta {
    readonly name: string;
    readonly namespace: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
}

export interface IstioObject<K extends IstioKind = IstioKind> {
    readonly apiVersion: string;
    readonly kind: K;
    readonly metadata: ObjectMeta;
    readonly spec: Specs[K];
}

/** An Istio object that does not match Istio's schema: names the object and every violation. */
export class IstioSchemaError extends Error {
    constructor(
        readonly object: string,
        readonly violations: readonly string[],
    ) {
        super(`${object} does not match Istio's schema:\n${violations.map((v) => ` - ${v}`).join("\n")}`);
        this.name = "IstioSchemaError";
    }
}

/** Schema violations of an object (empty when valid). */
export function schemaViolations(kind: IstioKind, metadata: ObjectMeta, spec: unknown): string[] {
    const { model: Model } = MODELS[kind];
    try {
        new Model({ metadata, spec }).validate();
        return [];
    } catch (err) {
        return String((err as Error).message)
            .split(/,\s*(?=data\/)/)
            .map((m) => m.replace(/^data\//, ""));
    }
}

/** Builds a validated Istio object; throws `IstioSchemaError` when the spec breaks the schema. */
export function istioObject<K extends IstioKind>(kind: K, metadata: ObjectMeta, spec: Specs[K]): IstioObject<K> {
    const violations = schemaViolations(kind, metadata, spec);
    if (violations.length > 0) throw new IstioSchemaError(`${kind} ${metadata.namespace}/${metadata.name}`, violations);
    return { apiVersion: MODELS[kind].apiVersion, kind, metadata, spec };
}
