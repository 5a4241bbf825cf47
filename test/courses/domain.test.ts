import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveCourses, resolveNewTerm, resolveStudents, termRules } from '../../src/courses/domain/definitions.js';
import { overlaps } from '../../src/courses/domain/meetings.js';
import { Registrar, windowAt } from '../../src/courses/domain/registrar.js';
import { RegistrationState } from '../../src/courses/domain/state.js';
import type { Action, CourseDef, Meeting, RegistrationRequest, TermRules } from '../../src/courses/domain/types.js';

const at = (day: Meeting['day'], from: string, to: string): Meeting => {
  const m = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  return { day, start: m(from), end: m(to) };
};

interface CourseSpec {
  credits?: number;
  capacity?: number;
  waitlist?: number;
  meetings?: Meeting[];
  requires?: string[];
  linked?: string[];
}

const RULES: TermRules = { minCredits: 0, maxCredits: 12, windows: null, closesAt: null };

/** A term in memory: courses by id, students by id, and a request counter. */
function term(
  courses: Record<string, CourseSpec>,
  students: Record<string, { group?: string; completed?: string[]; holds?: string[] }>,
  rules = RULES,
) {
  const state = new RegistrationState();
  for (const [id, c] of Object.entries(courses)) {
    const def: CourseDef = {
      id,
      title: id,
      credits: c.credits ?? 3,
      meetings: c.meetings ?? [],
      requires: c.requires ?? [],
      linked: c.linked ?? [],
    };
    state.putCourse(def, c.capacity ?? 10, c.waitlist ?? 0);
  }
  for (const [id, s] of Object.entries(students)) {
    state.putStudent({ id, group: s.group ?? 'A', completed: new Set(s.completed ?? []), holds: s.holds ?? [] });
  }
  const registrar = new Registrar(state, rules);
  let seq = 0;
  return {
    state,
    registrar,
    request(studentId: string, actions: Action[], options: { allOrNothing?: boolean; at?: number } = {}) {
      const request: RegistrationRequest = {
        seq: ++seq,
        studentId,
        actions,
        allOrNothing: options.allOrNothing ?? false,
        at: options.at ?? 1_000,
      };
      return registrar.decide(request);
    },
    change(courseId: string, limits: { capacity?: number; waitlistSize?: number }) {
      return registrar.changeCourse({ seq: ++seq, courseId, ...limits });
    },
    enrolledIn: (courseId: string) => [...state.course(courseId).enrolled].sort(),
    waitlistOf: (courseId: string) => state.course(courseId).waitlist.map((e) => e.studentId),
    outcomes: (results: Array<{ outcome: string; reason?: string }>) =>
      results.map((r) => (r.reason ? `${r.outcome}:${r.reason}` : r.outcome)),
  };
}

describe('course rules (pure)', () => {
  it('meetings overlap only on the same day and a shared minute', () => {
    assert.equal(overlaps(at('MON', '09:00', '10:15'), at('MON', '10:00', '11:00')), true);
    assert.equal(overlaps(at('MON', '09:00', '10:15'), at('MON', '10:15', '11:00')), false, 'back to back');
    assert.equal(overlaps(at('MON', '09:00', '10:15'), at('TUE', '09:00', '10:15')), false);
    assert.equal(overlaps(at('MON', '09:00', '12:00'), at('MON', '10:00', '11:00')), true, 'contained');
  });

  it('capacity: the first come enroll, then full (no waitlist) or waitlisted in order', () => {
    const t = term({ C: { capacity: 2, waitlist: 2 }, D: { capacity: 1 } }, { a: {}, b: {}, c: {}, d: {}, e: {} });
    assert.deepEqual(t.outcomes(t.request('a', [{ add: 'C' }])), ['enrolled']);
    assert.deepEqual(t.outcomes(t.request('b', [{ add: 'C' }])), ['enrolled']);
    const c = t.request('c', [{ add: 'C' }]);
    assert.deepEqual(c, [{ action: { add: 'C' }, outcome: 'waitlisted', waitlistPosition: 1 }]);
    assert.equal(t.request('d', [{ add: 'C' }])[0]!.waitlistPosition, 2);
    assert.deepEqual(t.outcomes(t.request('e', [{ add: 'C' }])), ['rejected:full'], 'the waitlist is full too');
    assert.deepEqual(t.outcomes(t.request('a', [{ add: 'D' }])), ['enrolled']);
    assert.deepEqual(t.outcomes(t.request('b', [{ add: 'D' }])), ['rejected:full'], 'no waitlist at all');
    assert.deepEqual(t.waitlistOf('C'), ['c', 'd']);
  });

  it('adding a course one has is "enrolled" again, and a waitlisted one "waitlisted" with its place: nothing changes', () => {
    const t = term({ C: { capacity: 1, waitlist: 3 } }, { a: {}, b: {}, c: {} });
    t.request('a', [{ add: 'C' }]);
    t.request('b', [{ add: 'C' }]);
    t.request('c', [{ add: 'C' }]);
    assert.deepEqual(t.request('a', [{ add: 'C' }]), [{ action: { add: 'C' }, outcome: 'enrolled' }]);
    assert.deepEqual(t.request('c', [{ add: 'C' }]), [{ action: { add: 'C' }, outcome: 'waitlisted', waitlistPosition: 2 }]);
    assert.deepEqual(t.waitlistOf('C'), ['b', 'c']);
    assert.equal(t.state.student('a').credits, 3);
  });

  it('maxCredits: an add that would pass it is refused with credit_limit', () => {
    const t = term({ A: { credits: 5 }, B: { credits: 5 }, C: { credits: 3 }, D: { credits: 2 } }, { s: {} });
    assert.deepEqual(t.outcomes(t.request('s', [{ add: 'A' }, { add: 'B' }, { add: 'C' }, { add: 'D' }])), [
      'enrolled',
      'enrolled',
      'rejected:credit_limit',
      'enrolled',
    ]);
    assert.equal(t.state.student('s').credits, 12);
  });

  it('time clashes: overlapping meetings are refused, back-to-back ones are not', () => {
    const t = term(
      {
        A: { meetings: [at('MON', '09:00', '10:15'), at('WED', '09:00', '10:15')] },
        B: { meetings: [at('WED', '10:00', '11:00')] },
        C: { meetings: [at('MON', '10:15', '11:30')] },
      },
      { s: {} },
    );
    assert.deepEqual(t.outcomes(t.request('s', [{ add: 'A' }, { add: 'B' }, { add: 'C' }])), [
      'enrolled',
      'rejected:time_clash',
      'enrolled',
    ]);
  });

  it('requires: every required course must be completed', () => {
    const t = term({ ADV: { requires: ['INTRO', 'MATH'] } }, { half: { completed: ['INTRO'] }, both: { completed: ['MATH', 'INTRO'] } });
    assert.deepEqual(t.outcomes(t.request('half', [{ add: 'ADV' }])), ['rejected:requires']);
    assert.deepEqual(t.outcomes(t.request('both', [{ add: 'ADV' }])), ['enrolled']);
  });

  it('holds: every action of a student with a hold is refused', () => {
    const t = term({ A: {} }, { s: { holds: ['unpaid fees'] } });
    assert.deepEqual(t.outcomes(t.request('s', [{ add: 'A' }, { drop: 'A' }])), ['rejected:hold', 'rejected:hold']);
  });

  it('windows: not_open before the group opens (or without a window), closed for adds and swaps after closesAt', () => {
    const rules: TermRules = {
      minCredits: 0,
      maxCredits: 12,
      windows: new Map([
        ['seniors', 1000],
        ['juniors', 2000],
      ]),
      closesAt: 5000,
    };
    assert.equal(windowAt(rules, 'juniors', 1999), 'not_open');
    assert.equal(windowAt(rules, 'juniors', 2000), 'open');
    assert.equal(windowAt(rules, 'nobody', 3000), 'not_open', 'a group without a time ticket');
    assert.equal(windowAt(rules, 'seniors', 5000), 'closed');
    const t = term({ A: {}, B: {} }, { j: { group: 'juniors' } }, rules);
    assert.deepEqual(t.outcomes(t.request('j', [{ add: 'A' }], { at: 1500 })), ['rejected:not_open']);
    assert.deepEqual(t.outcomes(t.request('j', [{ add: 'A' }], { at: 2500 })), ['enrolled']);
    assert.deepEqual(t.outcomes(t.request('j', [{ add: 'B' }, { swap: { drop: 'A', add: 'B' } }], { at: 6000 })), [
      'rejected:closed',
      'rejected:closed',
    ]);
    assert.deepEqual(t.outcomes(t.request('j', [{ drop: 'A' }], { at: 6000 })), ['dropped'], 'drops stay possible after closing');
  });

  it('minCredits applies to drops once registration has closed, not before', () => {
    const rules: TermRules = { minCredits: 6, maxCredits: 12, windows: null, closesAt: 5000 };
    const t = term({ A: {}, B: {}, C: {} }, { s: {} }, rules);
    t.request('s', [{ add: 'A' }, { add: 'B' }, { add: 'C' }]);
    assert.deepEqual(t.outcomes(t.request('s', [{ drop: 'C' }], { at: 4000 })), ['dropped'], 'before closing');
    assert.deepEqual(t.outcomes(t.request('s', [{ drop: 'B' }], { at: 6000 })), ['rejected:credit_limit'], '6 -> 3 < 6');
    assert.deepEqual(t.enrolledIn('B'), ['s']);
  });

  it('drop: not_enrolled for a course one does not have; dropping a waitlisted course leaves the waitlist', () => {
    const t = term({ A: { capacity: 1, waitlist: 2 } }, { a: {}, b: {}, c: {} });
    assert.deepEqual(t.outcomes(t.request('a', [{ drop: 'A' }])), ['rejected:not_enrolled']);
    t.request('a', [{ add: 'A' }]);
    t.request('b', [{ add: 'A' }]);
    t.request('c', [{ add: 'A' }]);
    assert.deepEqual(t.outcomes(t.request('b', [{ drop: 'A' }])), ['dropped']);
    assert.deepEqual(t.waitlistOf('A'), ['c']);
    assert.deepEqual(t.enrolledIn('A'), ['a']);
  });

  it('actions apply in order: a drop frees the credits and the time a later add needs', () => {
    const t = term(
      {
        A: { credits: 6, meetings: [at('TUE', '13:00', '14:00')] },
        B: { credits: 6 },
        C: { credits: 6, meetings: [at('TUE', '13:30', '15:00')] },
      },
      { s: {} },
    );
    t.request('s', [{ add: 'A' }, { add: 'B' }]);
    assert.deepEqual(t.outcomes(t.request('s', [{ add: 'C' }, { drop: 'A' }, { add: 'C' }])), [
      'rejected:credit_limit',
      'dropped',
      'enrolled',
    ]);
  });

  it('swap: atomic, the drop happens only if the add enrolls; the add is judged without the dropped course', () => {
    const t = term(
      {
        A1: { meetings: [at('MON', '09:00', '10:00')] },
        A2: { meetings: [at('MON', '09:30', '10:30')], capacity: 1 },
        FULL: { capacity: 0, waitlist: 5 },
        HARD: { requires: ['X'] },
      },
      { s: {}, t: {} },
    );
    t.request('s', [{ add: 'A1' }]);
    assert.deepEqual(t.outcomes(t.request('s', [{ swap: { drop: 'A1', add: 'FULL' } }])), ['rejected:full'], 'not waitlisted: A1 is kept');
    assert.deepEqual(t.outcomes(t.request('s', [{ swap: { drop: 'A1', add: 'HARD' } }])), ['rejected:requires']);
    assert.deepEqual(t.enrolledIn('A1'), ['s']);
    assert.deepEqual(t.waitlistOf('FULL'), []);
    assert.deepEqual(t.outcomes(t.request('s', [{ swap: { drop: 'A1', add: 'A2' } }])), ['enrolled'], 'A2 clashes with A1, not after it');
    assert.deepEqual(t.enrolledIn('A1'), []);
    assert.deepEqual(t.enrolledIn('A2'), ['s']);
    assert.deepEqual(t.outcomes(t.request('t', [{ swap: { drop: 'A1', add: 'A2' } }])), ['rejected:not_enrolled']);
  });

  it('allOrNothing: one refused or waitlisted action and the request changes nothing; the others say all_or_nothing', () => {
    const t = term({ A: {}, B: { capacity: 0, waitlist: 5 }, C: {}, D: {} }, { s: {} });
    t.request('s', [{ add: 'D' }]);
    const results = t.request('s', [{ add: 'A' }, { drop: 'D' }, { add: 'B' }], { allOrNothing: true });
    assert.deepEqual(t.outcomes(results), ['rejected:all_or_nothing', 'rejected:all_or_nothing', 'rejected:full']);
    assert.deepEqual(t.enrolledIn('A'), []);
    assert.deepEqual(t.enrolledIn('D'), ['s'], 'the drop was undone');
    assert.deepEqual(t.waitlistOf('B'), [], 'the waitlisting was undone');
    assert.equal(t.state.student('s').credits, 3);
    assert.deepEqual(t.outcomes(t.request('s', [{ add: 'A' }, { add: 'C' }], { allOrNothing: true })), ['enrolled', 'enrolled']);
  });

  it('allOrNothing undoes the promotions its drops caused', () => {
    const t = term({ A: { capacity: 1, waitlist: 3 }, B: { capacity: 0 } }, { s: {}, w: {} });
    t.request('s', [{ add: 'A' }]);
    t.request('w', [{ add: 'A' }]);
    const results = t.request('s', [{ drop: 'A' }, { add: 'B' }], { allOrNothing: true });
    assert.deepEqual(t.outcomes(results), ['rejected:all_or_nothing', 'rejected:full']);
    assert.deepEqual(t.enrolledIn('A'), ['s']);
    assert.deepEqual(t.waitlistOf('A'), ['w']);
  });

  it('linked lecture + lab: taken together (the later add is pulled forward), refused alone, both refused if one fails', () => {
    const t = term(
      {
        LEC: { credits: 3, linked: ['LAB'] },
        LAB: { credits: 1, linked: ['LEC'], capacity: 1 },
      },
      { a: {}, b: {}, c: {} },
    );
    assert.deepEqual(t.outcomes(t.request('a', [{ add: 'LEC' }])), ['rejected:linked'], 'the lab is not in the request');
    assert.deepEqual(t.outcomes(t.request('a', [{ add: 'LAB' }])), ['rejected:linked']);
    assert.deepEqual(t.outcomes(t.request('b', [{ add: 'LEC' }, { add: 'LAB' }])), ['enrolled', 'enrolled']);
    assert.deepEqual(t.outcomes(t.request('c', [{ add: 'LEC' }, { add: 'LAB' }])), ['rejected:linked', 'rejected:full'], 'the lab is full');
    assert.deepEqual(t.enrolledIn('LEC'), ['b']);
    // dropping one alone is refused; dropping both is not
    assert.deepEqual(t.outcomes(t.request('b', [{ drop: 'LAB' }])), ['rejected:linked']);
    assert.deepEqual(t.outcomes(t.request('b', [{ drop: 'LEC' }, { drop: 'LAB' }])), ['dropped', 'dropped']);
    assert.deepEqual(t.outcomes(t.request('c', [{ add: 'LAB' }, { add: 'LEC' }])), ['enrolled', 'enrolled'], 'in either order');
  });

  it('linked units are judged together: credits, clashes between the two, and the first failing rule names its course', () => {
    const t = term(
      {
        LEC: { credits: 3, linked: ['LAB'], meetings: [at('MON', '09:00', '10:00')] },
        LAB: { credits: 2, linked: ['LEC'], meetings: [at('MON', '09:30', '11:00')] },
        BIG: { credits: 8 },
      },
      { s: {} },
    );
    assert.deepEqual(t.outcomes(t.request('s', [{ add: 'LEC' }, { add: 'LAB' }])), ['rejected:linked', 'rejected:time_clash']);
    t.request('s', [{ add: 'BIG' }]);
    assert.equal(t.state.student('s').credits, 8);
  });

  it('waitlist promotion on a drop: the first eligible waitlisted student takes the seat in the same step; those skipped keep their place and are told why', () => {
    const t = term(
      {
        C: { capacity: 1, waitlist: 5, meetings: [at('FRI', '14:00', '15:00')], requires: [] },
        X: { meetings: [at('FRI', '14:30', '15:30')] },
      },
      { a: {}, clash: {}, hold: {}, ok: {}, later: {} },
    );
    t.request('a', [{ add: 'C' }]);
    t.request('clash', [{ add: 'C' }]);
    t.request('hold', [{ add: 'C' }]);
    t.request('ok', [{ add: 'C' }]);
    t.request('later', [{ add: 'C' }]);
    t.request('clash', [{ add: 'X' }]); // now clashes with C
    t.state.putStudent({ id: 'hold', group: 'A', completed: new Set(), holds: ['library'] }); // a hold placed meanwhile
    assert.deepEqual(t.outcomes(t.request('a', [{ drop: 'C' }])), ['dropped']);
    assert.deepEqual(t.enrolledIn('C'), ['ok']);
    assert.deepEqual(t.waitlistOf('C'), ['clash', 'hold', 'later'], 'the skipped keep their place');
    const skipped = Object.fromEntries(t.state.course('C').waitlist.map((e) => [e.studentId, e.skippedBecause]));
    assert.deepEqual(skipped, { clash: 'time_clash', hold: 'hold', later: null });
    const promoted = t.state.drain().filter((c) => c.kind === 'enroll' && c.promoted);
    assert.deepEqual(
      promoted.map((c) => (c.kind === 'enroll' ? [c.studentId, c.seq] : null)),
      [['ok', 7]],
      'promoted by the drop step (seq 7)',
    );
  });

  it('waitlist promotion on a capacity increase, in order, skipping the ineligible; decreases below what is held are refused', () => {
    const t = term({ C: { capacity: 1, waitlist: 5, credits: 4 }, BIG: { credits: 10 } }, { a: {}, b: {}, heavy: {}, c: {}, d: {} });
    t.request('a', [{ add: 'C' }]);
    t.request('b', [{ add: 'C' }]);
    t.request('heavy', [{ add: 'C' }]);
    t.request('c', [{ add: 'C' }]);
    t.request('d', [{ add: 'C' }]);
    t.request('heavy', [{ add: 'BIG' }]); // C would now take heavy to 14 credits
    assert.deepEqual(t.outcomes(t.request('heavy', [{ add: 'C' }])), ['waitlisted'], 'still waiting, in place');
    assert.deepEqual(t.change('C', { capacity: 3 }), { outcome: 'applied' });
    assert.deepEqual(t.enrolledIn('C'), ['a', 'b', 'c']);
    assert.deepEqual(t.waitlistOf('C'), ['heavy', 'd']);
    assert.equal(t.state.course('C').waitlist[0]!.skippedBecause, 'credit_limit');
    assert.deepEqual(t.change('C', { capacity: 2 }), { outcome: 'refused', reason: 'below_enrolled' });
    assert.deepEqual(t.change('C', { waitlistSize: 1 }), { outcome: 'refused', reason: 'below_waitlisted' });
    assert.deepEqual(t.change('C', { capacity: 4 }), { outcome: 'applied' });
    assert.deepEqual(t.enrolledIn('C'), ['a', 'b', 'c', 'd']);
    assert.deepEqual(t.waitlistOf('C'), ['heavy']);
    assert.equal(t.state.course('C').capacity, 4);
  });

  it('an ineligible add is refused for its rule before seats are looked at: nobody ineligible is waitlisted', () => {
    const t = term({ C: { capacity: 0, waitlist: 5, requires: ['X'] } }, { s: {} });
    assert.deepEqual(t.outcomes(t.request('s', [{ add: 'C' }])), ['rejected:requires']);
    assert.deepEqual(t.waitlistOf('C'), []);
  });

  it('a student skipped for a clash gets the free seat once their own drop removes the clash', () => {
    const t = term(
      { C: { capacity: 1, waitlist: 5, meetings: [at('MON', '08:00', '09:00')] }, X: { meetings: [at('MON', '08:30', '09:30')] } },
      { a: {}, w: {} },
    );
    t.request('a', [{ add: 'C' }]);
    t.request('w', [{ add: 'C' }]);
    t.request('w', [{ add: 'X' }]);
    t.request('a', [{ drop: 'C' }]);
    assert.deepEqual(t.enrolledIn('C'), [], 'w was skipped: the seat stays free');
    assert.equal(t.state.course('C').waitlist[0]!.skippedBecause, 'time_clash');
    t.request('w', [{ drop: 'X' }]);
    assert.deepEqual(t.enrolledIn('C'), ['w'], 'no seat left empty while an eligible student waits');
    assert.deepEqual(t.waitlistOf('C'), []);
  });

  it('refresh: a lifted hold gives a waiting student the seat that was kept free', () => {
    const t = term({ C: { capacity: 1, waitlist: 2 } }, { a: {}, w: {} });
    t.request('a', [{ add: 'C' }]);
    t.request('w', [{ add: 'C' }]);
    t.state.putStudent({ id: 'w', group: 'A', completed: new Set(), holds: ['fees'] });
    t.request('a', [{ drop: 'C' }]);
    assert.deepEqual(t.enrolledIn('C'), []);
    t.state.putStudent({ id: 'w', group: 'A', completed: new Set(), holds: [] });
    t.registrar.refresh(['w'], 99);
    assert.deepEqual(t.enrolledIn('C'), ['w']);
  });

  it('course definitions: meetings, linked courses and duplicates are checked; terms: credits and windows', () => {
    const meeting = { day: 'MON' as const, start: '09:00', end: '10:00' };
    assert.deepEqual(
      resolveCourses([{ id: 'A', title: 'a', credits: 3, capacity: 1, meetings: [{ ...meeting, end: '08:00' }] }], new Set()),
      {
        problem: 'course "A": a meeting ends before it starts',
      },
    );
    assert.match(
      (
        resolveCourses([{ id: 'A', title: 'a', credits: 3, capacity: 1, meetings: [meeting], linked: ['NOPE'] }], new Set()) as {
          problem: string;
        }
      ).problem,
      /not a course of this term/,
    );
    const ok = resolveCourses(
      [
        { id: 'A', title: 'a', credits: 3, capacity: 1, meetings: [meeting], linked: ['B', 'OLD'] },
        { id: 'B', title: 'b', credits: 1, capacity: 1, meetings: [] },
      ],
      new Set(['OLD']),
    );
    assert.ok(Array.isArray(ok));
    assert.deepEqual(ok[0]!.meetings, [{ day: 'MON', start: 540, end: 600 }]);
    assert.match(
      (resolveCourses([{ id: 'A', title: 'a', credits: 1, capacity: 1, meetings: [], requires: ['A'] }], new Set()) as { problem: string })
        .problem,
      /requires itself/,
    );
    assert.deepEqual(
      resolveStudents([
        { id: 's', group: 'g' },
        { id: 's', group: 'g' },
      ]),
      { problem: 'student "s" is given twice' },
    );
    assert.deepEqual(resolveNewTerm({ id: 't', name: 'T', minCredits: 20, maxCredits: 18 }, { webhookAllowPrivate: false }), {
      problem: 'minCredits must not exceed maxCredits',
    });
    const config = resolveNewTerm(
      {
        id: 't',
        name: 'T',
        maxCredits: 18,
        windows: [{ group: 'g', opensAt: '2030-01-01T09:00:00Z' }],
        closesAt: '2030-01-10T00:00:00Z',
      },
      { webhookAllowPrivate: false },
    );
    assert.ok(!('problem' in config));
    assert.equal(termRules(config).windows!.get('g'), Date.parse('2030-01-01T09:00:00Z'));
    assert.match(
      (
        resolveNewTerm(
          {
            id: 't',
            name: 'T',
            maxCredits: 18,
            windows: [{ group: 'g', opensAt: '2031-01-01T00:00:00Z' }],
            closesAt: '2030-01-01T00:00:00Z',
          },
          { webhookAllowPrivate: false },
        ) as { problem: string }
      ).problem,
      /opens after closesAt/,
    );
  });
});
