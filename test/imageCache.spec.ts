/** `cluster.imageCache: ecr`: pull-through cache rules for the registries the stack pulls from, every such image pointed at them. */
import { strict as assert } from "assert";
import YAML from "yaml";
import { cacheRepositories, cacheRules, nodeImagePolicy, pullThroughPolicy } from "../src/cluster/imageCache";
import { CHART_IMAGES, ECR_UPSTREAMS, cacheRegistries, cachedImage, chartImageValues, releaseValuesWithCache, withCachedImages } from "../src/model/imageCache";
import { SettingsError } from "../src/settings/parse";
import type { Plan } from "../src/judgement/plan/plan";
import { planObjects, podTemplates } from "../src/judgement/checks/clusterChecks";
import { EKS_RAW, names, planIndex, resource, settingsFor } from "./helpers";
import { needUpstream, upstreamText } from "./upstream";
import { stackImages } from "../src/workshop/images";
import { resolveScenarios } from "../src/lessons/resolve";

const CACHE = { host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", registries: ["quay.io", "docker.io"] };
const DOCKER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/dockerhub-AbCdEf";

describe("image cache (pure)", () => {
    it("rewrites an image of a cached registry to the cache, and leaves the others", () => {
        assert.equal(cachedImage("quay.io/curl/curl:8.16.0", CACHE), "123456789012.dkr.ecr.eu-west-1.amazonaws.com/quay/curl/curl:8.16.0");
        assert.equal(cachedImage("docker.io/fortio/fortio:1.69.4", CACHE), "123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/fortio/fortio:1.69.4");
        assert.equal(cachedImage("registry.istio.io/release/examples-helloworld-v1:1.0", CACHE), "registry.istio.io/release/examples-helloworld-v1:1.0");
        assert.equal(cachedImage("quay.io/curl/curl:8.16.0", undefined), "quay.io/curl/curl:8.16.0");
        const pod = { spec: { initContainers: [{ image: "quay.io/a/b:1" }], containers: [{ name: "x", image: "ghcr.io/c/d:2", env: [{ name: "image", value: "quay.io/e:3" }] }] } };
        assert.deepEqual(withCachedImages(pod, CACHE), {
            spec: {
                initContainers: [{ image: `${CACHE.host}/quay/a/b:1` }],
                containers: [{ name: "x", image: "ghcr.io/c/d:2", env: [{ name: "image", value: "quay.io/e:3" }] }],
            },
        });
    });

    it("caches only registries ECR supports, and those needing credentials only with them", () => {
        const images = ["quay.io/a:1", "docker.io/b:1", "registry.istio.io/c:1", "us-docker.pkg.dev/d:1", "ghcr.io/e:1"];
        assert.deepEqual(cacheRegistries(images, new Set()), ["quay.io"]);
        assert.deepEqual(cacheRegistries(images, new Set(["docker.io"])), ["docker.io", "quay.io"]);
        assert.equal(ECR_UPSTREAMS["registry.istio.io"], undefined);
    });

    it("makes one rule per registry the stack pulls from, with Docker Hub's credential, and lets the nodes fill only those prefixes", () => {
        const settings = settingsFor({ cluster: { ...EKS_RAW.cluster, imageCache: "ecr", imageCacheCredentials: { "docker.io": DOCKER_ARN } } });
        const images = stackImages(resolveScenarios(settings.apps), settings.addons);
        assert.deepEqual(cacheRules(settings.cluster, images), [
            { registry: "docker.io", ecrRepositoryPrefix: "docker-hub", upstreamRegistryUrl: "registry-1.docker.io", credentialArn: DOCKER_ARN },
            { registry: "quay.io", ecrRepositoryPrefix: "quay", upstreamRegistryUrl: "quay.io" },
        ]);
        assert.deepEqual(cacheRules(settingsFor(EKS_RAW).cluster, images), [], "none by default");
        // The nodes fill, and pull from, exactly the cache repositories of the stack's images: not the prefix's every repository.
        const repos = cacheRepositories(images, ["docker.io", "quay.io"]);
        assert.ok(repos.includes("quay/kiali/kiali") && repos.every((r) => /^(docker-hub|quay)\/[a-z0-9._/-]+$/.test(r)), repos.join());
        assert.deepEqual(cacheRepositories(["quay.io/curl/curl:8.16.0", "docker.io/istio/proxyv2@sha256:ab", "registry.k8s.io/pause:3"], ["docker.io", "quay.io"]), ["docker-hub/istio/proxyv2", "quay/curl/curl"]);
        assert.deepEqual(JSON.parse(pullThroughPolicy("eu-west-1", "123456789012", ["quay/curl/curl"])).Statement[0].Resource, ["arn:aws:ecr:eu-west-1:123456789012:repository/quay/curl/curl"]);
        const pulls = JSON.parse(nodeImagePolicy("eu-west-1", "123456789012", ["quay/curl/curl"])).Statement;
        assert.deepEqual(pulls.map((s: any) => [s.Sid, s.Resource ?? `not ${s.NotResource}`]), [
            ["RegistryLogin", "*"],
            ["OtherAccounts", "not arn:aws:ecr:*:123456789012:repository/*"],
            ["StackImages", ["arn:aws:ecr:eu-west-1:123456789012:repository/quay/curl/curl"]],
        ]);
        // Without a cache: no repository of the account at all.
        assert.deepEqual(JSON.parse(nodeImagePolicy("eu-west-1", "123456789012", [])).Statement.map((s: any) => s.Sid), ["RegistryLogin", "OtherAccounts"]);
        assert.ok(images.includes("quay.io/kiali/kiali"));
    });

    it("points the charts' images at the cache through the values keys they read", () => {
        assert.deepEqual(chartImageValues("kiali-server", CACHE), { deployment: { image_name: `${CACHE.host}/quay/kiali/kiali` } });
        assert.deepEqual(chartImageValues("grafana", CACHE), { image: { registry: CACHE.host, repository: "docker-hub/grafana/grafana" } });
        assert.deepEqual(chartImageValues("grafana", { ...CACHE, registries: ["quay.io"] }), {});
        assert.deepEqual(releaseValuesWithCache("grafana", { downloadDashboardsImage: { registry: "quay.io", repository: "curl/curl", tag: "8.16.0" } }, CACHE).downloadDashboardsImage, {
            registry: CACHE.host,
            repository: "quay/curl/curl",
            tag: "8.16.0",
        });
    });

    it("the image keys are where the pinned charts name those images (their values.yaml)", function () {
        needUpstream(this);
        const files: Record<string, string> = {
            prometheus: "chart-values/prometheus-community/prometheus-27.42.2/values.yaml",
            "kiali-server": "chart-values/kiali/kiali-server-2.29.0/values.yaml",
            grafana: "chart-values/grafana-community/grafana-11.6.1/values.yaml",
        };
        for (const [chart, images] of Object.entries(CHART_IMAGES)) {
            const values = YAML.parse(upstreamText(files[chart]));
            const at = (path: readonly string[]) => path.reduce((v: any, k) => v?.[k], values);
            for (const img of images) {
                const named = img.registry ? `${at(img.registry)}/${at(img.path)}` : at(img.path);
                assert.equal(named, img.image, `${chart} ${img.path.join(".")}`);
            }
        }
    });
});

describe("image cache (plan)", () => {
    let plan: Plan;
    before(async () => {
        plan = await planIndex({ cluster: { ...EKS_RAW.cluster, imageCache: "ecr", imageCacheCredentials: { "docker.io": DOCKER_ARN } }, attendees: ["ana"] });
    });

    it("creates the rules and the nodes' policy before the node group", () => {
        const rules = plan.resources.filter((r) => r.type === "aws:ecr/pullThroughCacheRule:PullThroughCacheRule");
        assert.deepEqual(rules.map((r) => [r.name, (r.inputs as any).upstreamRegistryUrl]).sort(), [
            ["workshop-cache-docker-hub", "registry-1.docker.io"],
            ["workshop-cache-quay", "quay.io"],
        ]);
        assert.ok(names(resource(plan, "workshop-nodes").dependsOn).includes("workshop-node-pull-through"));
    });

    it("pulls every image of a cached registry through the cache, in the lessons and the addons", () => {
        const images = podTemplates(planObjects(plan)).flatMap((p) => p.containers.map((c: any) => String(c.image)));
        assert.ok(images.length > 20);
        for (const image of images) assert.ok(!image.startsWith("quay.io/") && !image.startsWith("docker.io/"), image);
        const kiali = plan.resources.find((r) => (r.inputs as any).chart === "kiali-server")!;
        assert.equal((kiali.inputs as any).values.deployment.image_name, "[unknown].dkr.ecr.eu-west-1.amazonaws.com/quay/kiali/kiali");
    });

    it("is refused where there is no ECR, and a credential that is not an ECR pull-through secret", () => {
        assert.throws(() => settingsFor({ cluster: { mode: "existing", context: "kind-istio-workshop", imageCache: "ecr" } }), (e: Error) => e instanceof SettingsError && /cluster\.imageCache: only applies when cluster\.mode is "eks"/.test(e.message));
        assert.throws(
            () => settingsFor({ cluster: { ...EKS_RAW.cluster, imageCache: "ecr", imageCacheCredentials: { "docker.io": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dockerhub" } } }),
            (e: Error) => /cluster\.imageCacheCredentials\.docker\.io: must be a Secrets Manager secret ARN whose name starts with ecr-pullthroughcache\//.test(e.message),
        );
    });
});
