export { Recorder, recordingFile, type RecordOptions } from './recorder'
export { parseRecording, recordLine, type RecordedCall, type RecordedTurn } from './format'
export { redactAction, redactEvent, maskNumber } from './redact'
