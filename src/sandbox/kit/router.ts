/**
 * Path matching for the sandboxes: `/v1/customers/:id` style patterns, one segment per param.
 * A trailing `*name` param matches the rest of the path (used for Google's `calendars/{id}`
 * where the id is percent-encoded but may contain anything).
 */
export interface CompiledPattern {
  match(path: string): Record<string, string> | undefined;
}

export function compilePattern(pattern: string): CompiledPattern {
  const parts = pattern.split('/').filter(Boolean);
  return {
    match(path) {
      const segments = path.split('/').filter(Boolean);
      const params: Record<string, string> = {};
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] as string;
        if (part.startsWith('*')) {
          params[part.slice(1)] = segments.slice(i).map(safeDecode).join('/');
          return segments.length > i ? params : undefined;
        }
        const segment = segments[i];
        if (segment === undefined) return undefined;
        if (part.startsWith(':')) params[part.slice(1)] = safeDecode(segment);
        else if (part !== segment) return undefined;
      }
      return segments.length === parts.length ? params : undefined;
    },
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
