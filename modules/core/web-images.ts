/**
 * The ports the Quarantine's web images serve on. A load balancer health-checks a target on the port
 * lure registers it with; an image that listens elsewhere never turns healthy, the ECS circuit breaker
 * stops the service, and nobody is ever steered. What lure can know (the images it ships or names) is
 * checked before anything is created; for any other image the summary says which port it must serve.
 */

/** Images whose port lure knows: repository pattern (any tag or digest), port, and how to name it. */
export const KNOWN_IMAGE_PORTS: readonly { readonly repository: RegExp; readonly port: number; readonly what: string }[] = [
  { repository: /^(public\.ecr\.aws\/nginx\/|(docker\.io\/)?nginxinc\/)nginx-unprivileged$/, port: 8080, what: "the unprivileged nginx image" },
  { repository: /^(public\.ecr\.aws\/nginx\/nginx|(docker\.io\/)?(library\/)?nginx)$/, port: 80, what: "the official nginx image" },
];

/** The repository part of an image reference (no tag, no digest). */
export function imageRepository(image: string): string {
  const at = image.indexOf("@");
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = noDigest.lastIndexOf(":");
  // A colon before the last slash belongs to a registry's port (registry:5000/app).
  return colon > noDigest.lastIndexOf("/") ? noDigest.slice(0, colon) : noDigest;
}

/** The port `image` serves on, when lure knows it. */
export function knownImagePort(image: string): { readonly port: number; readonly what: string } | undefined {
  const repo = imageRepository(image);
  const known = KNOWN_IMAGE_PORTS.find((k) => k.repository.test(repo));
  return known ? { port: known.port, what: known.what } : undefined;
}

/** The web parts of the quarantine settings, defaults filled in. */
export interface WebPorts {
  /** The demo's image and port, or undefined for an existing target. */
  readonly demo?: {
    readonly image: string;
    readonly containerPort: number;
    /** Whether the port was given, or is the default (80). @default true */
    readonly portGiven?: boolean;
  };
  /** The port the load balancer uses for the real service (the demo's or the existing target's). */
  readonly targetPort: number;
  readonly copies:
    | { readonly kind: "ecs"; readonly image?: string; readonly containerPort?: number }
    | { readonly kind: "asg"; readonly containerPort?: number };
}

/** The port the copies serve on: `copies.containerPort`, else the target's. */
export const copiesPort = (w: WebPorts): number => w.copies.containerPort ?? w.targetPort;

/**
 * Ports that cannot work. Paths are relative to the quarantine settings (`demo.containerPort`, …); `at`
 * is where those live (`quarantine.` in the config, nothing in props), for the settings messages name.
 */
export function webPortProblems(w: WebPorts, at = ""): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (w.demo) {
    const known = knownImagePort(w.demo.image);
    if (known && known.port !== w.demo.containerPort) {
      // With the default image, the port is the user's; with a chosen image, the default port may be what is wrong.
      const fix = w.demo.portGiven === false ? `set ${at}demo.containerPort: ${known.port}` : `set ${at}demo.containerPort: ${known.port}, or ${at}demo.image to an image that serves on ${w.demo.containerPort}`;
      out.push({
        path: "demo.containerPort",
        message: `${w.demo.containerPort}${w.demo.portGiven === false ? " (the default)" : ""} is not the port "${w.demo.image}" serves on (${known.what} serves on ${known.port}), so the load balancer would never find the demo healthy; ${fix}`,
      });
    }
  }
  const c = w.copies;
  const port = copiesPort(w);
  if (c.kind === "ecs" && c.image !== undefined) {
    const known = knownImagePort(c.image);
    if (known && known.port !== port) {
      out.push({
        path: c.containerPort === undefined ? "copies.image" : "copies.containerPort",
        message:
          c.containerPort === undefined
            ? `"${c.image}" serves on ${known.port} (${known.what}), but the copies default to the target's port ${w.targetPort}; set ${at}copies.containerPort: ${known.port}`
            : `${c.containerPort} is not the port "${c.image}" serves on (${known.what} serves on ${known.port}); set ${at}copies.containerPort: ${known.port}`,
      });
    }
  } else if (c.kind === "ecs" && c.containerPort !== undefined && c.containerPort !== w.targetPort) {
    out.push({
      path: "copies.containerPort",
      message: `${c.containerPort} cannot apply without ${at}copies.image: the copies run the real service's task definition, which serves on ${w.targetPort}; remove containerPort, or give the copies a decoy image`,
    });
  }
  return out;
}
