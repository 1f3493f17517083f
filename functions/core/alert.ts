/**
 * Alert text for people: a subject that SNS accepts (printable ASCII, under 100 characters) and a body
 * that says what changed, what lure did about it, and where the full answer is kept.
 */
import type { Evaluation, ExposureChange, IndexView } from "./exposure";

export interface Alert {
  readonly subject: string;
  readonly body: string;
}

export interface RotationOutcome {
  /** "rotated": the honeypot was moved (or is being moved) to a new IP; "failed": it was attempted and refused. */
  readonly status: "rotated" | "failed";
  readonly service: string;
  readonly detail?: string;
  /**
   * What the rotation did, in the cloud's own terms, for the alert body; replaces the default text,
   * which describes an ECS redeployment (AWS). @default the ECS wording
   */
  readonly message?: string;
}

/** SNS wants printable ASCII subjects shorter than 100 characters. */
export const SUBJECT_MAX = 99;

export function describeChange(c: ExposureChange): string {
  const by = c.kind !== "honeyscore" && c.by && c.by.length > 0 ? ` by ${c.by.join(" and ")}` : "";
  switch (c.kind) {
    case "new-exposure":
      return c.ports.length > 0 ? `now listed${by} with ${c.ports.join(", ")}` : `now listed${by}`;
    case "new-ports":
      return `newly seen ports ${c.ports.join(", ")}${by}`;
    case "honeypot-tag":
      return `tagged as a honeypot${by}`;
    case "honeyscore":
      return `honeyscore ${c.score.toFixed(2)}`;
  }
}

/** Non-printable or non-ASCII characters become "?"; anything longer than SNS allows ends in "...". */
export function fitSubject(s: string): string {
  const ascii = s.replace(/[^\x20-\x7e]/g, "?");
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

/**
 * `head` followed by as many whole `items` as fit, then "(+N more)"; the first item always goes in
 * (cut by `fitSubject` if it must be).
 *
 * @example
 * listSubject("[lure] watcher: cannot list ", ["lure-cowrie", "lure-dionaea"]); // "[lure] watcher: cannot list lure-cowrie, lure-dionaea"
 */
export function listSubject(head: string, items: readonly string[], separator = ", "): string {
  let text = head;
  for (let i = 0; i < items.length; i++) {
    const next = `${text}${i > 0 ? separator : ""}${items[i]}`;
    const rest = items.length - i - 1;
    // Keep room for the "(+N more)" the remaining items would need.
    if ((rest > 0 ? `${next} (+${rest} more)` : next).length > SUBJECT_MAX && i > 0) {
      text = `${text} (+${items.length - i} more)`;
      break;
    }
    text = next;
  }
  return fitSubject(text);
}

export function exposureAlert(input: {
  readonly prefix: string;
  readonly evaluation: Evaluation;
  readonly service: string;
  readonly rotation?: RotationOutcome;
  /** Where the full answer was stored (s3://…). */
  readonly resultUrl?: string;
  /** Set for an extra target (`watcher.extraTargets`). */
  readonly external?: { readonly label?: string };
}): Alert {
  const { state, changes } = input.evaluation;
  const what = input.external ? `Extra target ${input.external.label ?? state.ip} (${state.honeypot}, not deployed by lure)` : `Honeypot ${state.honeypot} (service ${input.service})`;
  // Whole changes only in the subject; the body has all of them.
  const parts = changes.length > 0 ? changes.map(describeChange) : ["no change in exposure"];
  const subject = listSubject(`[${input.prefix}] ${state.honeypot} ${state.ip}: `, parts, "; ");
  const lines = [
    `${what} at ${state.ip}, checked on ${state.index} at ${state.checkedAt}.`,
    "",
    ...changes.map((c) => `- ${describeChange(c)}`),
    "",
    `Ports listed: ${state.ports.length > 0 ? state.ports.join(", ") : "none"}`,
    `Honeypot tag: ${state.honeypotTagged ? "yes" : "no"}`,
    `Honeyscore: ${state.honeyscore === undefined ? "not available" : state.honeyscore.toFixed(2)}`,
    ...(state.firstFoundAt ? [`First listed: ${state.firstFoundAt}`] : []),
    ...Object.entries(state.indexes ?? {}).map(([name, v]) => `- ${name}: ${indexLine(v)}`),
  ];
  if (input.rotation?.message !== undefined) {
    lines.push("", `Rotation: ${input.rotation.message}`);
  } else if (input.rotation?.status === "rotated") {
    lines.push("", `Rotation: a new deployment of ${input.rotation.service} was started; the honeypot gets a new public IP when its new task runs, and ${state.ip} is released.`);
  } else if (input.rotation?.status === "failed") {
    lines.push("", `Rotation of ${input.rotation.service} was due but failed: ${input.rotation.detail ?? "unknown error"}. It is retried on the next cycle.`);
  }
  if (input.resultUrl) lines.push("", `Full answer: ${input.resultUrl}`);
  return { subject, body: lines.join("\n") };
}

/** One index's view, for the alert body. */
function indexLine(v: IndexView): string {
  const listed = v.found ? `listed${v.ports.length > 0 ? ` with ${v.ports.join(", ")}` : ""}${v.honeypotTagged ? ", tagged as a honeypot" : ""}` : "not listed";
  return v.unavailable ? `${listed} as of ${v.checkedAt} (its lookup failed this time)` : `${listed}, checked ${v.checkedAt}`;
}

/** Sent once per key version when the index refuses the key or none is set. */
export function configErrorAlert(input: { readonly prefix: string; readonly index: string; readonly problem: string; readonly secretName: string }): Alert {
  return {
    subject: fitSubject(`[${input.prefix}] watcher stopped: ${input.index} API key problem`),
    body: [
      `The watcher could not use the ${input.index} API key: ${input.problem}.`,
      "",
      `Lookups are skipped, not retried, until the key works. Put a valid key in the secret ${input.secretName}`,
      "(see the README, \"Setting the Shodan API key\"); the next cycle picks it up. This alert is sent once per key version.",
    ].join("\n"),
  };
}
