/**
 * The oldest Terraform that runs every stack lure synthesizes: the S3 backend's native locking
 * (`use_lockfile`, on by default) needs 1.10. Every stack declares it as `required_version`, and the
 * summary and the README state it from here (a test holds the README to it).
 */
export const MIN_TERRAFORM_VERSION = "1.10.0";

/** `1.10`, as people write it. */
export const MIN_TERRAFORM_MINOR = MIN_TERRAFORM_VERSION.split(".").slice(0, 2).join(".");

/** Whether version `a` (e.g. `1.9.8`, `1.11.0-beta1`) is older than `b`, comparing major.minor.patch. */
export function olderThan(a: string, b: string): boolean {
  const [x, y] = [a, b].map((s) => s.split(/[.-]/).slice(0, 3).map(Number));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i];
  return false;
}
