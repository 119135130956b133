/**
 * i18next with two complete resource files: zh-CN (the default) and en. The choice is remembered in
 * localStorage. Keys are typed (see i18next.d.ts), so a missing key fails the type check.
 */
import 'dayjs/locale/zh-cn';
import dayjs from 'dayjs';
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.ts';
import zhCN from './locales/zh-CN.ts';

export const languages = ['zh-CN', 'en'] as const;
export type Language = (typeof languages)[number];
const storageKey = 'huikuan.lang';

export function storedLanguage(): Language {
  try {
    const stored = localStorage.getItem(storageKey);
    if (stored === 'en' || stored === 'zh-CN') return stored;
  } catch {
    // storage may be unavailable (private mode); the default applies
  }
  return 'zh-CN';
}

/** Whether the user chose a language on this browser (the choice wins over the account's default). */
export function hasStoredLanguage(): boolean {
  try {
    return localStorage.getItem(storageKey) !== null;
  } catch {
    return false;
  }
}

export function rememberLanguage(language: Language): void {
  try {
    localStorage.setItem(storageKey, language);
  } catch {
    // not remembered, still switched
  }
  document.documentElement.lang = language;
  dayjs.locale(language === 'en' ? 'en' : 'zh-cn');
  void i18n.changeLanguage(language);
}

void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
  lng: storedLanguage(),
  fallbackLng: 'zh-CN',
  interpolation: { escapeValue: false },
  returnNull: false,
});
document.documentElement.lang = i18n.language;
dayjs.locale(i18n.language === 'en' ? 'en' : 'zh-cn');

/** A key built at run time (an error code, a status, a role): translated if known, else shown as is. */
export function tDynamic(key: string, fallback?: string): string {
  return i18n.exists(key)
    ? (i18n.t as (k: string) => string)(key)
    : (fallback ?? key.split('.').pop() ?? key);
}

export default i18n;
