import type { Hub } from '../hub.ts';
import type { SourceStatus } from '../upstream/client.ts';

export interface WorkspaceSourceStatus extends SourceStatus {
  workspace: string;
  /** False while the breaker is open or the OAuth token could not be refreshed. */
  healthy: boolean;
}

export function isHealthy(status: SourceStatus): boolean {
  return status.breaker?.state !== 'open' && status.token?.state !== 'failed';
}

/** Every workspace's connections with their policy state: the `sources` query, `/readyz`, `/metrics`. */
export async function sourceStatuses(hub: Hub, workspace?: string): Promise<WorkspaceSourceStatus[]> {
  const workspaces = [...hub.workspaces.values()].filter(
    (w) => workspace === undefined || w.id === workspace,
  );
  const all = workspaces.flatMap((w) =>
    Object.values(w.sources).map(async (s) => {
      const status = await s.client.status();
      return { ...status, workspace: w.id, healthy: isHealthy(status) };
    }),
  );
  return Promise.all(all);
}

const CIRCUIT = { closed: 0, half_open: 1, open: 2 } as const;

/** Sets the per-source gauges from the live state, just before a scrape renders them. */
export async function refreshSourceMetrics(hub: Hub): Promise<void> {
  const m = hub.metrics;
  for (const s of await sourceStatuses(hub)) {
    const labels = { workspace: s.workspace, source: s.source };
    for (const w of s.budget?.windows ?? [])
      m.budgetRemaining.set({ ...labels, window: w.name }, w.remaining);
    if (s.breaker) {
      m.circuitState.set(labels, CIRCUIT[s.breaker.state]);
      m.errorRatio.set(labels, s.breaker.recentErrorRate);
    }
    if (s.lastSuccessAt) m.lastSuccess.set(labels, s.lastSuccessAt.getTime() / 1000);
    if (s.token) {
      m.tokenHealthy.set(labels, s.token.state === 'failed' ? 0 : 1);
      if (s.token.expiresAt) m.tokenExpiry.set(labels, s.token.expiresAt.getTime() / 1000);
    }
  }
}
