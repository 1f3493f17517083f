/**
 * Alert text for people: a subject that SNS accepts (printable ASCII, under 100 characters) and a body
 * that says what changed, what lure did about it, and where the full answer is kept.
 */
import type { Evaluation, ExposureChange } from "./exposure";

export interface Alert {
  readonly subject: string;
  readonly body: string;
}

export interface RotationOutcome {
  /** "rotated": a new deployment was forced; "failed": it was attempted and refused. */
  readonly status: "rotated" | "failed";
  readonly service: string;
  readonly detail?: string;
}

/** SNS wants printable ASCII subjects shorter than 100 characters. */
const SUBJECT_MAX = 99;

export function describeChange(c: ExposureChange): string {
  switch (c.kind) {
    case "new-exposure":
      return c.ports.length > 0 ? `now listed with ${c.ports.join(", ")}` : "now listed";
    case "new-ports":
      return `newly seen ports ${c.ports.join(", ")}`;
    case "honeypot-tag":
      return "tagged as a honeypot";
    case "honeyscore":
      return `honeyscore ${c.score.toFixed(2)}`;
  }
}

function subjectLine(s: string): string {
  const ascii = s.replace(/[^\x20-\x7e]/g, "?");
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

export function exposureAlert(input: {
  readonly prefix: string;
  readonly evaluation: Evaluation;
  readonly service: string;
  readonly rotation?: RotationOutcome;
  /** Where the full answer was stored (s3://…). */
  readonly resultUrl?: string;
}): Alert {
  const { state, changes } = input.evaluation;
  const head = `[${input.prefix}] ${state.honeypot} ${state.ip}: `;
  // Whole changes only in the subject; the body has all of them.
  const parts = changes.map(describeChange);
  let what = parts.length > 0 ? parts[0] : "no change in exposure";
  for (let i = 1; i < parts.length; i++) {
    const rest = parts.length - i - 1;
    const candidate = `${what}; ${parts[i]}${rest > 0 ? ` (+${rest} more)` : ""}`;
    if (head.length + candidate.length > SUBJECT_MAX) {
      what = `${what} (+${parts.length - i} more)`;
      break;
    }
    what = `${what}; ${parts[i]}`;
  }
  const subject = subjectLine(head + what);
  const lines = [
    `Honeypot ${state.honeypot} (service ${input.service}) at ${state.ip}, checked on ${state.index} at ${state.checkedAt}.`,
    "",
    ...changes.map((c) => `- ${describeChange(c)}`),
    "",
    `Ports listed: ${state.ports.length > 0 ? state.ports.join(", ") : "none"}`,
    `Honeypot tag: ${state.honeypotTagged ? "yes" : "no"}`,
    `Honeyscore: ${state.honeyscore === undefined ? "not available" : state.honeyscore.toFixed(2)}`,
    ...(state.firstFoundAt ? [`First listed: ${state.firstFoundAt}`] : []),
  ];
  if (input.rotation?.status === "rotated") {
    lines.push("", `Rotation: a new deployment of ${input.rotation.service} was started; the honeypot gets a new public IP when its new task runs, and ${state.ip} is released.`);
  } else if (input.rotation?.status === "failed") {
    lines.push("", `Rotation of ${input.rotation.service} was due but failed: ${input.rotation.detail ?? "unknown error"}. It is retried on the next cycle.`);
  }
  if (input.resultUrl) lines.push("", `Full answer: ${input.resultUrl}`);
  return { subject, body: lines.join("\n") };
}

/** Sent once per key version when the index refuses the key or none is set. */
export function configErrorAlert(input: { readonly prefix: string; readonly index: string; readonly problem: string; readonly secretName: string }): Alert {
  return {
    subject: subjectLine(`[${input.prefix}] watcher stopped: ${input.index} API key problem`),
    body: [
      `The watcher could not use the ${input.index} API key: ${input.problem}.`,
      "",
      `Lookups are skipped, not retried, until the key works. Put a valid key in the secret ${input.secretName}`,
      "(see the README, \"Setting the Shodan API key\"); the next cycle picks it up. This alert is sent once per key version.",
    ].join("\n"),
  };
}
