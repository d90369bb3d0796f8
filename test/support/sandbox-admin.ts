// Moved to harness/ (shared with the benchmarks); kept while in-flight work still imports it here.
export * from '../../harness/sandbox-admin.ts';
