import { strict as assert } from "assert";
import fc from "fast-check";
import { ISTIO_PORT_RULES, checkPortRules, ingressRuleSpecs, type PortRule } from "../src/cluster/istioPorts";

const groups = { cluster: "sg-cluster", nodes: "sg-nodes" };

describe("Istio port rules (pure)", () => {
    it("renders the webhook and xDS rules into the node group from the cluster group", () => {
        assert.deepEqual(ingressRuleSpecs("ws-istio", ISTIO_PORT_RULES, groups), [
            {
                name: "ws-istio-webhook",
                securityGroupId: "sg-nodes",
                referencedSecurityGroupId: "sg-cluster",
                ipProtocol: "tcp",
                fromPort: 15017,
                toPort: 15017,
                description: "EKS API server to istiod 15017: sidecar-injector and config-validation webhooks",
            },
            {
                name: "ws-istio-xds",
                securityGroupId: "sg-nodes",
                referencedSecurityGroupId: "sg-cluster",
                ipProtocol: "tcp",
                fromPort: 15012,
                toPort: 15012,
                description: "Cluster security group to istiod 15012: xDS configuration and workload certificates (mTLS)",
            },
        ]);
    });

    it("the shipped table passes its own checks", () => {
        assert.deepEqual(checkPortRules(ISTIO_PORT_RULES), []);
    });

    it("refuses bad tables with one line per problem", () => {
        const bad: PortRule[] = [
            { id: "a", port: 0, protocol: "tcp", from: "cluster", description: "x" },
            { id: "a", port: 15017, protocol: "tcp", from: "cluster", description: "" },
            { id: "B", port: 15017, protocol: "tcp", from: "cluster", description: "ok" },
        ];
        assert.deepEqual(checkPortRules(bad), [
            "a: port 0 is not from 1 to 65535",
            "a: duplicate id",
            "a: description is empty, too long or has characters AWS rejects",
            "B: id must be lowercase letters, digits and '-'",
            "B: duplicate rule 15017/tcp from cluster",
        ]);
        assert.throws(() => ingressRuleSpecs("p", bad, groups), /^Error: Invalid Istio port rules:\n - a: port 0/);
    });

    it("property: any valid table yields one rule per entry, sourced from a security group, never a CIDR", () => {
        const rule = fc.record({
            id: fc.stringMatching(/^[a-z0-9-]{1,12}$/),
            port: fc.integer({ min: 1, max: 65535 }),
            protocol: fc.constantFrom("tcp" as const, "udp" as const),
            from: fc.constantFrom("cluster" as const, "nodes" as const),
            description: fc.stringMatching(/^[a-zA-Z0-9 :.-]{1,80}$/),
        });
        const table = fc.uniqueArray(rule, { selector: (r) => r.id, maxLength: 10 }).filter((rs) => checkPortRules(rs).length === 0);
        fc.assert(
            fc.property(table, (rules) => {
                const specs = ingressRuleSpecs("p", rules, groups);
                assert.equal(specs.length, rules.length);
                specs.forEach((s, i) => {
                    assert.equal(s.fromPort, rules[i].port);
                    assert.equal(s.toPort, rules[i].port);
                    assert.equal(s.securityGroupId, "sg-nodes");
                    assert.equal(s.referencedSecurityGroupId, groups[rules[i].from]);
                    assert.ok(!("cidrIpv4" in s) && !("cidrIpv6" in s));
                });
                assert.equal(new Set(specs.map((s) => s.name)).size, specs.length);
            }),
            { numRuns: 200 },
        );
    });
});
