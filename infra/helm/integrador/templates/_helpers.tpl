{{/* Name of every object: <release>-integrador, or fullnameOverride. */}}
{{- define "integrador.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-integrador" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Selector labels of one component (ingress, worker-set, ..., migrate); they never change after install. */}}
{{- define "integrador.selectorLabels" -}}
app.kubernetes.io/name: integrador
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every label of one component. */}}
{{- define "integrador.labels" -}}
{{ include "integrador.selectorLabels" . }}
app.kubernetes.io/version: {{ include "integrador.tag" .root | quote }}
app.kubernetes.io/part-of: integrador
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The image tag: values image.tag, else the chart's appVersion (the apps' package version). */}}
{{- define "integrador.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "integrador.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (include "integrador.tag" .) -}}
{{- end -}}
{{- end -}}

{{/* The Secret every pod loads with envFrom (REDIS_URL, CRM_DATABASE_URL, ...): created outside the chart. */}}
{{- define "integrador.secretName" -}}
{{- required "existingSecret is required: the name of a Secret holding REDIS_URL, CRM_DATABASE_URL and the other secrets (see values.yaml)" .Values.existingSecret -}}
{{- end -}}

{{/*
Container environment of an app: dict "root" $ "env" <map> (rendered inline rather than from a ConfigMap: the migration hook runs
before any chart object exists, and a changed value changes the pod template, so pods roll by themselves).
*/}}
{{- define "integrador.env" -}}
{{- $values := .root.Values -}}
- name: HOST
  value: "0.0.0.0"
- name: PORT
  value: {{ $values.ingress.port | quote }}
- name: METRICS_PORT
  value: {{ $values.metrics.workerPort | quote }}
{{- if $values.connectionsFile.configMap }}
- name: CONNECTIONS_FILE
  value: /etc/integrador/{{ $values.connectionsFile.key }}
{{- end }}
{{- range $name, $value := .env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- with $values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* envFrom: the existing Secret. */}}
{{- define "integrador.envFrom" -}}
- secretRef:
    name: {{ include "integrador.secretName" . }}
{{- end -}}

{{/* Pod-level settings shared by every pod. */}}
{{- define "integrador.podSpec" -}}
automountServiceAccountToken: false
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Volumes: /tmp (read-only root filesystem) and the optional connections file. */}}
{{- define "integrador.volumes" -}}
- name: tmp
  emptyDir: {}
{{- if .Values.connectionsFile.configMap }}
- name: connections
  configMap:
    name: {{ .Values.connectionsFile.configMap }}
{{- end }}
{{- end -}}

{{- define "integrador.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.connectionsFile.configMap }}
- name: connections
  mountPath: /etc/integrador
  readOnly: true
{{- end }}
{{- end -}}

{{/* Prometheus scrape annotations, for set-ups that discover pods by annotation. */}}
{{- define "integrador.scrapeAnnotations" -}}
{{- if .root.Values.metrics.annotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}
