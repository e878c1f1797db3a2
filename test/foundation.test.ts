import { describe, expect, it } from 'vitest';
import { Agent, useTestApp } from './helper.ts';

const ctx = useTestApp();

describe('the front page', () => {
  it('is Danish by default and says what the service is', async () => {
    const response = await new Agent(ctx.app).get('/');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<html lang="da">');
    expect(response.body).toContain('Gå til sidens indhold');
  });

  it('shows a demo citizen their overview and a caseworker their start page', async () => {
    const citizen = new Agent(ctx.app);
    await citizen.logInAs('borger01');
    const home = await citizen.get('/');
    expect(home.body).toContain('Hej Jens Nielsen');
    expect(home.body).toContain('Mette Holm');
    expect(home.headers['cache-control']).toBe('no-store');

    const caseworker = new Agent(ctx.app);
    await caseworker.logInAs('jk01');
    const start = await caseworker.get('/');
    expect(start.body).toContain('Velkommen, Mette Holm');
    expect(start.body).toContain('Du er fast jobkonsulent for 10 borgere.');
  });

  it('forgets the session after logout: the old cookie no longer logs anyone in', async () => {
    const citizen = new Agent(ctx.app);
    await citizen.logInAs('borger02');
    const oldCookies = new Map(citizen.cookies);
    const logout = await citizen.post('/logout');
    expect(logout.statusCode).toBe(303);

    const replay = new Agent(ctx.app);
    replay.cookies = oldCookies;
    const page = await replay.get('/');
    expect(page.body).not.toContain('Hej Maria');
    expect(page.body).toContain('Log på');
  });
});
