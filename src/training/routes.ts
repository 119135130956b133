/**
 * HTTP routes for training records (/api/v1/training): the required courses (admin, compliance),
 * completions recorded by a supervisor, compliance or an admin, a user's status (agents: their own)
 * and the completions about to expire.
 */
import { z } from 'zod';
import { hasRole, principalOf, requireRoles, staffRoles } from '../server/access.ts';
import { type Api, businessDate, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { HuikuanError } from '../shared/errors.ts';
import { addCourse, expiringTraining, listCourses, recordCompletion, trainingStatus } from './service.ts';

const tags = ['training'];
const managers = ['admin', 'compliance', 'supervisor'] as const;

const courseResponse = z.object({
  id: z.number().int(),
  code: z.string(),
  title: z.string(),
  validity_months: z.number().int(),
  required: z.boolean(),
  created_by: z.string(),
  created_at: z.string(),
});

const statusResponse = z.object({
  username: z.string(),
  as_of: z.string(),
  current: z.boolean(),
  courses: z.array(
    z.object({
      course: z.string(),
      title: z.string(),
      required: z.boolean(),
      completed_on: z.string().nullable(),
      expires_on: z.string().nullable(),
      status: z.enum(['current', 'expired', 'missing']),
    }),
  ),
});

export async function trainingRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  app.get(
    '/training/courses',
    {
      schema: {
        response: documented({ 200: z.object({ items: z.array(courseResponse) }) }),
        tags,
        summary: 'The training courses',
      },
      preValidation: requireRoles(...staffRoles),
    },
    async () => ({ items: await listCourses(db) }),
  );

  app.post(
    '/training/courses',
    {
      schema: {
        response: documented({ 201: courseResponse }),
        tags,
        summary: 'Add a course; a required one closes contact actions to agents without a current completion',
        body: z.object({
          code: z.string().trim().min(1).max(40),
          title: z.string().trim().min(1).max(200),
          validity_months: z.number().int().min(1).max(60).default(12),
          required: z.boolean().default(true),
        }),
      },
      preValidation: requireRoles('admin', 'compliance'),
    },
    async (request, reply) => {
      const body = request.body;
      const course = await addCourse(
        db,
        { code: body.code, title: body.title, validityMonths: body.validity_months, required: body.required },
        principalOf(request).username,
      );
      return reply.status(201).send(course);
    },
  );

  app.post(
    '/training/completions',
    {
      schema: {
        response: documented({
          201: z.object({
            id: z.number().int(),
            username: z.string(),
            course: z.string(),
            completed_on: z.string(),
            expires_on: z.string(),
          }),
        }),
        tags,
        summary: "Record a user's completion of a course (not your own); it counts for the course's validity",
        body: z.object({
          username: z.string().min(1).max(100),
          course: z.string().min(1).max(40),
          completed_on: businessDate,
          score: z.number().int().min(0).max(100).nullable().default(null),
        }),
      },
      preValidation: requireRoles(...managers),
    },
    async (request, reply) => {
      const body = request.body;
      const recorded = await recordCompletion(
        db,
        { username: body.username, course: body.course, completedOn: body.completed_on, score: body.score },
        principalOf(request).username,
      );
      return reply.status(201).send(recorded);
    },
  );

  app.get(
    '/training/users/:username',
    {
      schema: {
        response: documented({ 200: statusResponse }),
        tags,
        summary:
          "A user's training record: each course's latest completion and whether it is current (agents: their own)",
        params: z.object({ username: z.string().min(1).max(100) }),
      },
      preValidation: requireRoles(...staffRoles),
    },
    async (request) => {
      const principal = principalOf(request);
      if (!hasRole(principal, ...managers) && principal.username !== request.params.username) {
        throw new HuikuanError('forbidden', 'You may see your own training record only.');
      }
      return trainingStatus(db, request.params.username);
    },
  );

  app.get(
    '/training/expiring',
    {
      schema: {
        response: documented({
          200: z.object({
            items: z.array(
              z.object({
                username: z.string(),
                course: z.string(),
                title: z.string(),
                expires_on: z.string(),
              }),
            ),
          }),
        }),
        tags,
        summary: 'Completions of required courses that expire within the next days, soonest first',
        querystring: z.object({ within_days: z.coerce.number().int().min(1).max(366).default(30) }),
      },
      preValidation: requireRoles(...managers),
    },
    async (request) => ({ items: await expiringTraining(db, request.query.within_days) }),
  );
}
