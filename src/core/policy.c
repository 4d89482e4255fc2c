/* placeholder until this module lands */
typedef int vms_placeholder_policy;
