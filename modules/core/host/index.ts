/** Cloud-neutral VM hosts of the honeynet (Azure, Google Cloud): cloud-init documents, no cloud code. */
export * from "./cloud-init";
export * from "./honeypot-host";
export * from "./elastic-host";
export * from "./kibana-host";
export * from "./vm-honeynet";
