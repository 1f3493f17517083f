/**
 * Rotation policy: when an exposed honeypot moves to a fresh public IP. Off unless configured, and
 * never more often than the minimum interval per honeypot, so a honeypot that is found again at once
 * does not churn.
 */
import { listedBy, type ExposureState } from "./exposure";

export interface RotationPolicy {
  readonly enabled: boolean;
  readonly minIntervalHours: number;
}

export type RotationDecision =
  | { readonly rotate: true; readonly reason: string }
  | { readonly rotate: false; readonly reason: "disabled" | "not-exposed" | "too-soon"; readonly nextAllowedAt?: string };

export function decideRotation(input: {
  readonly policy: RotationPolicy;
  readonly state: ExposureState;
  /** Last rotation of this honeypot, ISO 8601. */
  readonly lastRotatedAt?: string;
  readonly now: Date;
}): RotationDecision {
  const { policy, state, now } = input;
  if (!policy.enabled) return { rotate: false, reason: "disabled" };
  if (!state.found) return { rotate: false, reason: "not-exposed" };
  if (input.lastRotatedAt !== undefined) {
    const last = Date.parse(input.lastRotatedAt);
    const next = last + policy.minIntervalHours * 3_600_000;
    if (!Number.isNaN(last) && now.getTime() < next) return { rotate: false, reason: "too-soon", nextAllowedAt: new Date(next).toISOString() };
  }
  const why = state.honeypotTagged ? `tagged as a honeypot by ${listedBy(state)}` : `listed by ${listedBy(state)} on ${state.ports.join(", ")}`;
  return { rotate: true, reason: why };
}
