/**
 * One throwaway PostgreSQL cluster for a suite, and Django projects on databases of it: call
 * inside a `describe` (its hooks start the cluster before the suite's tests, and dispose of the
 * projects and stop the cluster after them).
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { djangoProject, type DjangoProject } from './django';
import { startPostgres, type PgCluster } from './postgres';

export interface DjangoOnPostgres {
  cluster(): PgCluster;
  /** The project at `root` (INSTALLED_APPS = `apps`, else the suite's) on a new, empty database. */
  project(root: string, apps?: string[]): { project: DjangoProject; db: string };
}

export function djangoOnPostgres(apps: string[]): DjangoOnPostgres {
  let pg: PgCluster | undefined;
  const projects: DjangoProject[] = [];
  before(async () => {
    pg = await startPostgres();
  });
  after(() => {
    for (const p of projects) p.dispose();
    pg?.stop();
  });
  const cluster = (): PgCluster => {
    assert.ok(pg, 'the PostgreSQL cluster did not start');
    return pg;
  };
  return {
    cluster,
    project(root, only = apps) {
      const db = cluster().createDatabase();
      const project = djangoProject(root, { apps: only, database: { engine: 'postgres', cluster: cluster(), name: db } });
      projects.push(project);
      return { project, db };
    },
  };
}
