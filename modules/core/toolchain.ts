/**
 * The oldest Terraform that runs every stack lure synthesizes: the S3 backend's native locking
 * (`use_lockfile`, on by default) needs 1.10. Every stack declares it as `required_version`, and the
 * summary and the README state it from here (a test holds the README to it).
 */
export const MIN_TERRAFORM_VERSION = "1.10.0";

/** `1.10`, as people write it. */
export const MIN_TERRAFORM_MINOR = MIN_TERRAFORM_VERSION.split(".").slice(0, 2).join(".");
