// Where credentials come from: an explicit kubeconfig file, or the default
// search (in-cluster ServiceAccount, $KUBECONFIG, ~/.kube/config).
export { loadCredentials as loadKubeConfig, type CredentialSource } from './credentials.ts';
