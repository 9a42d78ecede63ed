{{/*
A team entry with teamDefaults applied: maps (quota, limitRange, namespaceLabels) are merged key by key,
the team's own keys win; `namespaces` defaults to the team's name. Returns YAML; use with fromYaml.
*/}}
{{- define "teams.resolve" -}}
{{- $defaults := deepCopy .root.Values.teamDefaults -}}
{{- $team := .team -}}
{{- $resolved := dict
      "name" $team.name
      "namespaces" ($team.namespaces | default (list $team.name))
      "costCenter" $team.costCenter
      "group" ($team.group | default (printf $defaults.groupFormat $team.name))
      "clusterRole" ($team.clusterRole | default $defaults.clusterRole)
      "quota" (mergeOverwrite $defaults.quota (deepCopy ($team.quota | default dict)))
      "limitRange" (mergeOverwrite $defaults.limitRange (deepCopy ($team.limitRange | default dict)))
      "namespaceLabels" (mergeOverwrite $defaults.namespaceLabels (deepCopy ($team.namespaceLabels | default dict)))
-}}
{{- toYaml $resolved -}}
{{- end }}

{{/* Labels on every object of a team: ownership, cost allocation and environment. */}}
{{- define "teams.labels" -}}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: platform-teams
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
team: {{ .team.name }}
cost-center: {{ .team.costCenter | quote }}
environment: {{ .root.Values.environment }}
{{- end }}
