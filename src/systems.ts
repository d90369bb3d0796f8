import type { SourceName } from './domain/model.ts';
import { moduleById } from '../sources/registry.ts';

/** A system's name as people write it ("QuickBooks Online"), for messages; the id when unknown. */
export const systemLabel = (system: SourceName): string => moduleById(system)?.label ?? system;

/** Whether `id` names a system the registry knows (a sync issue's details hold values by system). */
export const isSystem = (id: string): boolean => moduleById(id) !== undefined;
