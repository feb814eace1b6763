"""virt-esx: the VMware ESX / vCenter driver of virt, over the vSphere API (pyvmomi)."""
