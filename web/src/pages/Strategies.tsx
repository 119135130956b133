/**
 * The Strategies page (策略; issue 5 point 7): the versions with a version's segments, conditions in
 * plain words and treatment paths, approve / reject for another person; the editor with the dry run
 * and the proposal; and the champion / challenger results with promotion.
 */
import { Tabs, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Draft, Editor } from './strategy/Editor.tsx';
import { blankDocument } from './strategy/model.ts';
import { ResultsTab } from './strategy/ResultsTab.tsx';
import { VersionsTab } from './strategy/VersionsTab.tsx';

export default function Strategies() {
  const { t } = useTranslation();
  const [tab, setTab] = useState('versions');
  const [selected, setSelected] = useState<number | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [draftKey, setDraftKey] = useState(0);
  const [refreshKey, setRefreshKey] = useState(0);
  return (
    <>
      <Typography.Title level={3}>{t('strategies.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('strategies.intro')}</Typography.Paragraph>
      <Tabs
        activeKey={tab}
        onChange={setTab}
        items={[
          {
            key: 'versions',
            label: t('strategies.tabs.versions'),
            children: (
              <VersionsTab
                selected={selected}
                onSelect={setSelected}
                refreshKey={refreshKey}
                onChanged={() => setRefreshKey((key) => key + 1)}
                onEdit={(detail) => {
                  setDraft(
                    detail
                      ? { basedOn: detail.version, document: structuredClone(detail.document) }
                      : { basedOn: null, document: blankDocument(t('strategies.editor.blank')) },
                  );
                  setDraftKey((key) => key + 1);
                  setTab('editor');
                }}
              />
            ),
          },
          {
            key: 'editor',
            label: t('strategies.tabs.editor'),
            children: (
              <Editor
                key={draftKey}
                draft={draft}
                onProposed={(version) => {
                  setSelected(version.id);
                  setRefreshKey((key) => key + 1);
                  setDraft(null);
                  setTab('versions');
                }}
              />
            ),
          },
          {
            key: 'results',
            label: t('strategies.tabs.results'),
            children: <ResultsTab onPromoted={() => setRefreshKey((key) => key + 1)} />,
          },
        ]}
      />
    </>
  );
}
