export * from "./scanner-index";
export * from "./watcher-message";
export * from "./exposure";
export * from "./rotation";
export * from "./alert";
