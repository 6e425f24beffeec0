/**
 * Where a lesson namespace holds the workshop CA's certificate (`ca.crt`), the
 * CA that signs the certificate the ingress gateway ends TLS with: the platform
 * writes this ConfigMap into each namespace whose lessons call the gateway over
 * HTTPS, and the checks that do mount it.
 */
import { PLATFORM_PART_LABELS } from "../model/platform";

export const GATEWAY_CA_CONFIG_MAP = "workshop-gateway-ca";
export const GATEWAY_CA_KEY = "ca.crt";
export const GATEWAY_CA_FILE = `/gateway-ca/${GATEWAY_CA_KEY}`;

/** The ConfigMap that hands a namespace the workshop CA's certificate (a placeholder where it is not known yet, as in a plan). */
export function gatewayCaConfigMap(namespace: string, pem: string | undefined): Record<string, unknown> {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: GATEWAY_CA_CONFIG_MAP, namespace, labels: { ...PLATFORM_PART_LABELS } },
        data: { [GATEWAY_CA_KEY]: pem ?? "(the workshop CA's certificate, known once the stack has created it)" },
    };
}
