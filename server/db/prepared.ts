import type pg from 'pg';

type Query = (...args: unknown[]) => Promise<unknown>;

/**
 * Sends the statements the app repeats as named prepared statements, so PostgreSQL parses and plans
 * each once per connection instead of on every call (what postgres.js, pgjdbc and Npgsql do by
 * themselves). It halves the database's work for a booking, whose one statement does all the checks and
 * writes together: most of its cost was planning.
 *
 * Bounded: a statement is prepared the second time a connection sees it (one-off texts, such as an IN
 * list of a new length, never are), at most `maxPerConnection` per connection. A prepared statement
 * whose result changed shape under it (a migration added a column to a `SELECT *`) is prepared afresh
 * and run again once.
 */
export function prepareRepeatedStatements(pool: pg.Pool, maxPerConnection = 200): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as unknown as Query;
    const names = new Map<string, string>();
    const seenOnce = new Set<string>();
    let counter = 0;
    const fresh = (text: string) => {
      const name = `p${++counter}`;
      names.set(text, name);
      return name;
    };
    const prepared = (text: string, values: unknown[] | undefined, args: unknown[]) => {
      let name = names.get(text);
      if (!name) {
        if (!seenOnce.has(text) || counter >= maxPerConnection) {
          if (seenOnce.size >= 1000) seenOnce.clear();
          seenOnce.add(text);
          return query(...args);
        }
        seenOnce.delete(text);
        name = fresh(text);
      }
      return query({ name, text, values: values ?? [] }).catch((error: unknown) => {
        // "cached plan must not change result type": the table changed shape since this was prepared.
        if ((error as { code?: string }).code !== '0A000') throw error;
        return query({ name: fresh(text), text, values: values ?? [] });
      });
    };
    (client as unknown as { query: Query }).query = (...args: unknown[]) => {
      const [text, values, callback] = args;
      const plain = typeof text === 'string' && (values === undefined || Array.isArray(values)) && callback === undefined;
      return plain ? prepared(text, values as unknown[] | undefined, args) : query(...args);
    };
  });
}
