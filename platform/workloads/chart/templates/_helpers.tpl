{{/* The components this chart can deploy, in a stable order. */}}
{{- define "workloads.componentNames" -}}
{{- list "frontend" "api" | toJson -}}
{{- end }}

{{/* Selector labels of a component; ctx = dict "root" $ "name" <component name>. Never change them: selectors are immutable. */}}
{{- define "workloads.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{/* All labels of a component's objects. */}}
{{- define "workloads.labels" -}}
{{ include "workloads.selectorLabels" . }}
app.kubernetes.io/component: {{ (index .root.Values .name).component }}
app.kubernetes.io/part-of: reference-app
app.kubernetes.io/version: {{ (index .root.Values .name).image.tag | toString | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
environment: {{ .root.Values.global.environment }}
{{- end }}

{{/* The pinned image reference of a component: repository@digest, else repository:tag; never "latest". */}}
{{- define "workloads.image" -}}
{{- $image := (index .root.Values .name).image -}}
{{- $repository := required (printf "%s.image.repository is required" .name) $image.repository -}}
{{- if $image.digest -}}
{{- if not (regexMatch "^sha256:[a-f0-9]{64}$" $image.digest) -}}
{{- fail (printf "%s.image.digest must look like sha256:<64 hex digits>, got %q" .name $image.digest) -}}
{{- end -}}
{{- printf "%s@%s" $repository $image.digest -}}
{{- else -}}
{{- $tag := toString (required (printf "%s.image.tag or %s.image.digest is required (images are pinned)" .name .name) $image.tag) -}}
{{- if eq $tag "latest" -}}
{{- fail (printf "%s.image.tag must be pinned, not %q" .name $tag) -}}
{{- end -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end }}

{{/* Public host name of the front end. */}}
{{- define "workloads.frontendHost" -}}
{{- $ingress := .Values.frontend.ingress -}}
{{- if $ingress.host -}}
{{- $ingress.host -}}
{{- else -}}
{{- printf "%s.%s" (required "frontend.ingress.subdomain is required" $ingress.subdomain) (required "global.domain is required" .Values.global.domain) -}}
{{- end -}}
{{- end }}

{{/* In-cluster URL of the API, given to the front end. */}}
{{- define "workloads.apiUrl" -}}
{{- printf "http://api.%s.svc.cluster.local" .Values.api.namespace -}}
{{- end }}
