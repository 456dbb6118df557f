// @tributary/schema-registry: see README.md. Its capability lands with its issue; this entry point is the package's public API.
export {};
