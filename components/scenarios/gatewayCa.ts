/**
 * Where a lesson namespace holds the workshop CA's certificate (`ca.crt`), the
 * CA that signs the certificate the ingress gateway ends TLS with: the platform
 * writes this ConfigMap into each namespace whose lessons call the gateway over
 * HTTPS, and the checks that do mount it.
 */
export const GATEWAY_CA_CONFIG_MAP = "workshop-gateway-ca";
export const GATEWAY_CA_KEY = "ca.crt";
export const GATEWAY_CA_FILE = `/gateway-ca/${GATEWAY_CA_KEY}`;
