/** The etcd tools run from the etcd image in a throw-away container (ctr run on containerd), /var/lib mounted. */
export const IMAGE_RUN =
  /^ctr -n k8s\.io run --rm --net-host --mount type=bind,src=\/var\/lib,dst=\/var\/lib,options=rbind:rw registry\.k8s\.io\/etcd:[\d.]+-0 kubesmith-etcd-[0-9a-f]{8} /;
