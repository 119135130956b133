import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, api, request, setCsrfToken, setUnauthenticatedHandler } from './api.ts';
import { hasStoredLanguage, rememberLanguage } from './i18n.ts';
import type { Role, Session, User } from './types.ts';

interface AuthState {
  user: User | null;
  loading: boolean;
  login(username: string, password: string): Promise<User>;
  logout(): Promise<void>;
  refresh(): Promise<void>;
  hasRole(...roles: Role[]): boolean;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [loading, setLoading] = useState(true);

  const refresh = useCallback(async () => {
    try {
      const session = await request<Session>('GET', '/session', { quiet401: true });
      setCsrfToken(session.csrf_token);
      setUser(session.user);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) console.error(error);
      setCsrfToken(null);
      setUser(null);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setCsrfToken(null);
      setUser(null);
    });
    void refresh();
    return () => setUnauthenticatedHandler(null);
  }, [refresh]);

  const login = useCallback(async (username: string, password: string) => {
    const session = await request<Session>('POST', '/session', {
      body: { username, password },
      quiet401: true,
    });
    setCsrfToken(session.csrf_token);
    // the account's language applies until the user picks one in the header on this browser
    const locale = session.user.locale;
    if (!hasStoredLanguage() && (locale === 'en' || locale === 'zh-CN')) rememberLanguage(locale);
    setUser(session.user);
    return session.user;
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.del('/session');
    } finally {
      setCsrfToken(null);
      setUser(null);
    }
  }, []);

  const value = useMemo<AuthState>(
    () => ({
      user,
      loading,
      login,
      logout,
      refresh,
      hasRole: (...wanted: Role[]) => !!user && user.roles.some((role) => wanted.includes(role)),
    }),
    [user, loading, login, logout, refresh],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth outside AuthProvider');
  return state;
}

/** Staff = every role but client. */
export function isStaff(user: User | null): boolean {
  return !!user && user.roles.some((role) => role !== 'client');
}
