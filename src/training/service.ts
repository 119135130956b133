/**
 * Training records (issue 4 point 6): the courses the agency requires, each user's completions and
 * when they expire, and the check that closes the workspace's contact actions to an agent whose
 * record is not current. No course is required until the agency defines one.
 */
import { sql } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import type { Db } from '../db/connection.ts';
import { addDays, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';

export interface Course {
  id: bigint;
  code: string;
  title: string;
  validity_months: number;
  required: boolean;
  created_by: string;
  created_at: Date;
}

export interface CourseStatus {
  course: string;
  title: string;
  required: boolean;
  completed_on: string | null;
  expires_on: string | null;
  status: 'current' | 'expired' | 'missing';
}

export interface TrainingStatus {
  username: string;
  as_of: string;
  /** Every required course current (true when the agency requires none). */
  current: boolean;
  courses: CourseStatus[];
}

const codePattern = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export async function addCourse(
  db: Db,
  input: { code: string; title: string; validityMonths: number; required: boolean },
  actor: string,
): Promise<Course> {
  const code = input.code.trim().toLowerCase();
  if (!codePattern.test(code)) {
    throw new HuikuanError(
      'bad_input',
      `"${input.code}" is not a course code: lower-case letters, digits, _ or -, at most 40.`,
    );
  }
  if (!Number.isInteger(input.validityMonths) || input.validityMonths < 1 || input.validityMonths > 60) {
    throw new HuikuanError('bad_input', 'A completion counts for 1–60 months.');
  }
  return db.transaction().execute(async (trx) => {
    const exists = await sql`SELECT 1 FROM training_courses WHERE code = ${code}`.execute(trx);
    if (exists.rows.length > 0) throw new HuikuanError('duplicate', `There is already a course "${code}".`);
    const row = await sql<Course>`
      INSERT INTO training_courses (code, title, validity_months, required, created_by)
      VALUES (${code}, ${input.title.trim()}, ${input.validityMonths}, ${input.required}, ${actor})
      RETURNING *`.execute(trx);
    const course = row.rows[0] as Course;
    await recordAudit(trx, {
      actor,
      action: 'training.course_added',
      entityType: 'training_course',
      entityId: course.id,
      after: {
        code,
        title: course.title,
        validity_months: course.validity_months,
        required: course.required,
      },
    });
    return course;
  });
}

export async function listCourses(db: Db): Promise<Course[]> {
  return (await sql<Course>`SELECT * FROM training_courses ORDER BY code`.execute(db)).rows;
}

/** `date` plus whole months, the day kept or, past the month's end, its last day (2026-01-31 + 1 → 02-28). */
export function addMonths(date: string, months: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(year, month - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.toISOString().slice(0, 10);
}

/** Records a user's completion of a course (by someone else); it counts for the course's validity. */
export async function recordCompletion(
  db: Db,
  input: { username: string; course: string; completedOn: string; score?: number | null },
  actor: string,
): Promise<{ id: bigint; username: string; course: string; completed_on: string; expires_on: string }> {
  if (input.username === actor) throw new HuikuanError('forbidden', 'Nobody records their own training.');
  return db.transaction().execute(async (trx) => {
    const user = await sql`SELECT 1 FROM users WHERE username = ${input.username}`.execute(trx);
    if (user.rows.length === 0) throw new HuikuanError('not_found', `There is no user "${input.username}".`);
    const course = (
      await sql<Course>`SELECT * FROM training_courses WHERE code = ${input.course}`.execute(trx)
    ).rows[0];
    if (!course) throw new HuikuanError('not_found', `There is no course "${input.course}".`);
    if (input.completedOn > todayIn()) {
      throw new HuikuanError(
        'bad_input',
        `A course cannot be completed in the future (${input.completedOn}).`,
      );
    }
    const expiresOn = addMonths(input.completedOn, course.validity_months);
    const row = await sql<{ id: bigint }>`
      INSERT INTO training_completions (username, course_id, completed_on, expires_on, score, recorded_by)
      VALUES (${input.username}, ${course.id}, ${input.completedOn}, ${expiresOn}, ${input.score ?? null}, ${actor})
      RETURNING id`.execute(trx);
    const id = row.rows[0]?.id as bigint;
    await recordAudit(trx, {
      actor,
      action: 'training.completion_recorded',
      entityType: 'training_completion',
      entityId: id,
      after: {
        username: input.username,
        course: course.code,
        completed_on: input.completedOn,
        expires_on: expiresOn,
      },
    });
    return {
      id,
      username: input.username,
      course: course.code,
      completed_on: input.completedOn,
      expires_on: expiresOn,
    };
  });
}

/** Each course with the user's latest completion; current when every required one has not expired. */
export async function trainingStatus(
  db: Db,
  username: string,
  asOf: string = todayIn(),
): Promise<TrainingStatus> {
  const rows = await sql<{
    code: string;
    title: string;
    required: boolean;
    completed_on: string | null;
    expires_on: string | null;
  }>`
    SELECT c.code, c.title, c.required, last.completed_on, last.expires_on
      FROM training_courses c
      LEFT JOIN LATERAL (
        SELECT completed_on, expires_on FROM training_completions t
         WHERE t.username = ${username} AND t.course_id = c.id
         ORDER BY expires_on DESC LIMIT 1) last ON true
     ORDER BY c.code`.execute(db);
  const courses: CourseStatus[] = rows.rows.map((row) => ({
    course: row.code,
    title: row.title,
    required: row.required,
    completed_on: row.completed_on,
    expires_on: row.expires_on,
    // a completion counts through the day before its expiry date
    status: row.expires_on === null ? 'missing' : row.expires_on > asOf ? 'current' : 'expired',
  }));
  return {
    username,
    as_of: asOf,
    current: courses.every((course) => !course.required || course.status === 'current'),
    courses,
  };
}

/**
 * Closes the contact actions to an agent whose training record is not current (forbidden, naming
 * the courses). Users without the agent role pass: the rule is the agents'.
 */
export async function assertTrained(
  db: Db,
  user: { username: string; roles: readonly string[] },
): Promise<void> {
  if (!user.roles.includes('agent')) return;
  const status = await trainingStatus(db, user.username);
  if (status.current) return;
  const gaps = status.courses
    .filter((course) => course.required && course.status !== 'current')
    .map((course) =>
      course.status === 'missing'
        ? `"${course.title}" never completed`
        : `"${course.title}" expired on ${course.expires_on}`,
    );
  throw new HuikuanError(
    'forbidden',
    `Your training record is not current (${gaps.join('; ')}): contact actions are closed until a supervisor or compliance records the training.`,
    { training: status },
  );
}

/** Completions of required courses expiring within `days` (the latest per user and course), soonest first. */
export async function expiringTraining(db: Db, days: number, asOf: string = todayIn()) {
  const rows = await sql<{ username: string; course: string; title: string; expires_on: string }>`
    SELECT DISTINCT ON (t.username, c.id) t.username, c.code AS course, c.title, t.expires_on
      FROM training_completions t JOIN training_courses c ON c.id = t.course_id
     WHERE c.required
     ORDER BY t.username, c.id, t.expires_on DESC`.execute(db);
  const until = addDays(asOf, days);
  return rows.rows
    .filter((row) => row.expires_on > asOf && row.expires_on <= until)
    .sort((a, b) =>
      a.expires_on < b.expires_on
        ? -1
        : a.expires_on > b.expires_on
          ? 1
          : a.username.localeCompare(b.username),
    );
}
