/**
 * The classroom: with no attendees, the lessons in one `demo` namespace; with
 * attendees, one isolated Attendee per id. Every attendee's resources are named
 * after their id, never after a position in the list, and no attendee depends
 * on another: adding or removing one changes only that attendee.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { admissionPolicy, admissionPolicyBinding, classroomRails } from "./admissionSpec";
import { Attendee, type ClusterAccess } from "./attendee";
import { attendeeEntry, type AttendeeAccess } from "./attendeeSpec";
import { LessonsNamespace, namespaceRelease } from "./lessonsNamespace";
import { egressGatewayRoute, standInManifests } from "../lessons/build";
import { EXTERNAL_NAMESPACE, GATEWAY_ROUTES_LABELS, enrolmentLabels } from "../model/platform";
import { podSecurityLabels } from "../model/podSecurity";
import type { LessonsPlan } from "../workshop/lessons";

export interface ClassroomArgs extends ClusterAccess {
    /**
     * The lessons, resolved once: `planLessons({ apps, attendees, classroom, istio, addons, cluster })`
     * from plain settings (docs/configuration.md; each section validated, every key left out at its
     * default), or a resolved workshop's `lessons`.
     */
    readonly lessons: LessonsPlan;
}

export class Classroom extends pulumi.ComponentResource {
    readonly namespaces: pulumi.Output<string[]>;
    /** Per attendee id, what their kubeconfig needs besides a token (not secret); empty without attendees. */
    readonly access: pulumi.Output<Record<string, AttendeeAccess | undefined>>;
    /** Where each attendee opens their routes. */
    readonly entries: pulumi.Output<Record<string, string>>;
    readonly checks: pulumi.Output<string[]>;

    constructor(name: string, args: ClassroomArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-workshop:classroom:Classroom", name, {}, opts);
        const { settings, attendees, namespaces, mesh, perNamespace, podCeiling } = args.lessons;
        const namespaceLabels = podSecurityLabels(settings.cluster.kubernetesVersion);
        // The egress lesson's stand-in for a host outside the mesh; its checks wait for it as for the gateway.
        const standIn = settings.apps.egress.enabled ? [externalStandInRelease(name, args, namespaceLabels, this)] : [];
        // With an egress gateway, the platform's half of the egress-gateway stage: from the gateway on to the stand-in.
        const egressRoute =
            settings.apps.egress.enabled && settings.istio.egressGateway
                ? egressGatewayRoute().map((o) => new k8s.apiextensions.CustomResource(`${name}-egress-${o.kind.toLowerCase()}`, { ...o }, { parent: this, provider: args.provider, dependsOn: [...args.gateway, ...standIn] }))
                : [];
        const shared = { provider: args.provider, istiod: args.istiod, enrolment: { ...enrolmentLabels(settings.istio.dataplane), ...(settings.istio.ingress.api === "gateway-api" ? GATEWAY_ROUTES_LABELS : {}) }, gateway: [...args.gateway, ...standIn, ...egressRoute], imageCache: args.imageCache, gatewayCa: args.gatewayCa };
        if (attendees.length === 0) {
            const demo = new LessonsNamespace(`${name}-demo`, { lessons: namespaces[0], sidecarHosts: mesh.sidecarEgressHosts, namespaceLabels, ...shared }, { parent: this });
            this.namespaces = demo.namespace.apply((n) => [n]);
            this.access = pulumi.output<Record<string, AttendeeAccess | undefined>>({});
            this.entries = pulumi.output<Record<string, string>>({});
            this.checks = demo.checks;
        } else {
            // The API server's own guard rails for every attendee namespace (ValidatingAdmissionPolicies and bindings).
            for (const g of classroomRails(settings.classroom.domain, settings.istio.dataplane)) {
                const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(`${name}-${g.name}`, admissionPolicy(g), { parent: this, provider: args.provider });
                new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(`${name}-${g.name}-binding`, admissionPolicyBinding(g), {
                    parent: this,
                    provider: args.provider,
                    dependsOn: [policy],
                });
            }
            const people = namespaces.map(
                (lessons) =>
                    new Attendee(
                        `${name}-${lessons.attendee}`,
                        {
                            lessons,
                            demand: perNamespace,
                            podCeiling,
                            sidecarHosts: mesh.sidecarEgressHosts,
                            dataplane: settings.istio.dataplane,
                            cluster: settings.cluster,
                            clusterName: args.clusterName,
                            endpoint: args.endpoint,
                            ...shared,
                        },
                        { parent: this },
                    ),
            );
            this.namespaces = pulumi.all(people.map((a) => a.namespace));
            this.access = pulumi.all(Object.fromEntries(people.map((a, i) => [attendees[i], a.access])));
            this.entries = pulumi.output(Object.fromEntries(attendees.map((id) => [id, attendeeEntry(id, settings.classroom.domain)])));
            this.checks = pulumi.all(people.map((a) => a.checks)).apply((c) => c.flat());
        }
        this.registerOutputs({ namespaces: this.namespaces, access: this.access, entries: this.entries, checks: this.checks });
    }
}

/** The egress lesson's outside host: its namespace (no injection) and one release of its objects. */
function externalStandInRelease(name: string, args: ClassroomArgs, labels: Record<string, string>, parent: pulumi.Resource): k8s.helm.v3.Release {
    const ns = new k8s.core.v1.Namespace(
        `${name}-external-ns`,
        { metadata: { name: EXTERNAL_NAMESPACE, labels: { ...labels } } },
        { parent, provider: args.provider },
    );
    return namespaceRelease(`${name}-external`, EXTERNAL_NAMESPACE, standInManifests(), args.imageCache, { parent, provider: args.provider, dependsOn: [ns] });
}
