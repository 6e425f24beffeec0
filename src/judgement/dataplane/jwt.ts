/**
 * RequestAuthentication at a workload's proxy, as a model of what Istio's reference states: a token present must
 * verify against one of the rules that apply (its issuer; RS256 over the rule's inline JWKS; not expired), giving the
 * request principal `iss/sub`; a token that does not verify is refused with 401; no token, or no rule, passes on.
 */
import { createPublicKey, verify } from "crypto";
import { NotModelled } from "../kubernetes/network";

/** The verdict on a request's `Authorization` header under these `jwtRules`: a 401, a principal, or neither. */
export function tokenVerdict(rules: readonly any[], header: string | undefined): { status?: number; principal?: string } {
    if (!header || rules.length === 0) return {};
    const token = header.replace(/^Bearer\s+/i, "");
    const [h, p, s] = token.split(".");
    try {
        const head = JSON.parse(Buffer.from(h, "base64url").toString());
        const claims = JSON.parse(Buffer.from(p, "base64url").toString());
        for (const rule of rules) {
            if (rule.jwksUri) throw new NotModelled("a JWKS fetched from jwksUri");
            if (rule.issuer !== claims.iss) continue;
            const keys = JSON.parse(rule.jwks).keys as any[];
            const key = keys.find((k) => k.kid === head.kid) ?? keys[0];
            const good = head.alg === "RS256" && verify("RSA-SHA256", Buffer.from(`${h}.${p}`), createPublicKey({ key, format: "jwk" }), Buffer.from(s, "base64url"));
            if (good && (claims.exp === undefined || claims.exp * 1000 > Date.now())) return { principal: `${claims.iss}/${claims.sub}` };
        }
    } catch (e) {
        if (e instanceof NotModelled) throw e;
    }
    return { status: 401 };
}
