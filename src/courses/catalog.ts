import type { CoursesRepository, TermRecord } from './repository.js';

/** How long an unknown term is remembered as unknown. */
const MISSING_TERM_MS = 1_000;
/** A miss reloads a term's ids at most this often (random ids cannot load the database). */
const RELOAD_EVERY_MS = 500;

interface IdSet {
  ids: Set<string>;
  loadedAt: number;
  loading: Promise<void> | null;
}

/**
 * What an instance needs to accept a request without asking PostgreSQL each time: the term's
 * definition and the ids of its courses and students. Terms never change once created, and
 * courses and students are never deleted, so a hit is always right; a miss reloads the ids (at
 * most every RELOAD_EVERY_MS per term), since another instance may have added them a moment ago.
 */
export class TermCatalog {
  private readonly terms = new Map<string, { record: TermRecord | null; at: number }>();
  private readonly courses = new Map<string, IdSet>();
  private readonly students = new Map<string, IdSet>();

  constructor(private readonly repository: CoursesRepository) {}

  async term(termId: string): Promise<TermRecord | null> {
    const cached = this.terms.get(termId);
    if (cached && (cached.record || Date.now() - cached.at < MISSING_TERM_MS)) return cached.record;
    const record = await this.repository.getTerm(termId);
    this.terms.set(termId, { record, at: Date.now() });
    return record;
  }

  setTerm(record: TermRecord): void {
    this.terms.set(record.id, { record, at: Date.now() });
  }

  /** Of the given course ids, those that are not courses of the term. */
  missingCourses(termId: string, ids: readonly string[]): Promise<string[]> {
    return this.missing(this.courses, termId, ids, () => this.repository.courseIds(termId));
  }

  async isStudent(termId: string, studentId: string): Promise<boolean> {
    return (await this.missing(this.students, termId, [studentId], () => this.repository.studentIds(termId))).length === 0;
  }

  noteCourses(termId: string, ids: readonly string[]): void {
    const set = this.entry(this.courses, termId).ids;
    for (const id of ids) set.add(id);
  }

  noteStudents(termId: string, ids: readonly string[]): void {
    const set = this.entry(this.students, termId).ids;
    for (const id of ids) set.add(id);
  }

  private entry(map: Map<string, IdSet>, termId: string): IdSet {
    let entry = map.get(termId);
    if (!entry) map.set(termId, (entry = { ids: new Set(), loadedAt: 0, loading: null }));
    return entry;
  }

  private async missing(map: Map<string, IdSet>, termId: string, ids: readonly string[], load: () => Promise<string[]>): Promise<string[]> {
    const entry = this.entry(map, termId);
    let missing = ids.filter((id) => !entry.ids.has(id));
    if (missing.length === 0) return missing;
    if (!entry.loading && Date.now() - entry.loadedAt >= RELOAD_EVERY_MS) {
      entry.loading = load()
        .then((loaded) => {
          for (const id of loaded) entry.ids.add(id);
          entry.loadedAt = Date.now();
        })
        .finally(() => {
          entry.loading = null;
        });
    }
    if (entry.loading) await entry.loading;
    missing = ids.filter((id) => !entry.ids.has(id));
    return missing;
  }
}
