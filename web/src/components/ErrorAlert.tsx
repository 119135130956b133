import { Alert } from 'antd';
import { errorText } from '../api.ts';

export function ErrorAlert({ error }: { error: unknown }) {
  if (!error) return null;
  return <Alert type="error" showIcon role="alert" title={errorText(error)} style={{ marginBottom: 16 }} />;
}
